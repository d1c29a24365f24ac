"""Sizes of the reliability suite, and the check that no API key ever reaches a log.

The quick size runs with every `scripts/test`; `WA_RELIABILITY_FULL=1`
(`scripts/test --full`) runs the full one.
"""

from __future__ import annotations

from dataclasses import dataclass
import os
from typing import TYPE_CHECKING

import pytest

from .addon_process import keys_found_in_logs

if TYPE_CHECKING:
    from collections.abc import Generator

FULL = os.environ.get("WA_RELIABILITY_FULL") == "1"


@dataclass(frozen=True, slots=True)
class Sizes:
    """How hard each reliability test pushes."""

    chaos_events: int
    chaos_kills: int
    chaos_reloads: int
    fuzz_cases: int
    retried_sends: int


SIZES = (
    Sizes(
        chaos_events=20_000,
        chaos_kills=20,
        chaos_reloads=10,
        fuzz_cases=2_000,
        retried_sends=1_000,
    )
    if FULL
    else Sizes(
        chaos_events=1_000,
        chaos_kills=3,
        chaos_reloads=2,
        fuzz_cases=300,
        retried_sends=100,
    )
)


@pytest.fixture
def sizes() -> Sizes:
    """The sizes of this run (quick or full)."""
    return SIZES


@pytest.fixture(autouse=True)
def api_key_never_logged() -> Generator[None]:
    """After each test, grep the log of every add-on this run started for its key."""
    yield
    assert keys_found_in_logs() == [], "an add-on wrote its API key to its log"
