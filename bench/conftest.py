"""Harness for the benchmarks: sizes, Home Assistant with this integration, and where figures go.

`scripts/bench` runs these with pytest; they measure rather than test, but pytest
gives them Home Assistant's own test instance (the `hass` fixture) to load the
integration into.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
import json
import os
from pathlib import Path
from typing import Any

import pytest

# Must be imported before the first `hass` fixture runs, so Home Assistant
# finds this package rather than the test harness' own custom_components.
from custom_components.whatsapp_bridge.const import DOMAIN  # noqa: F401

QUICK = os.environ.get("WA_BENCH_SIZE") == "quick"


@dataclass(frozen=True, slots=True)
class BenchSizes:
    """How much each benchmark measures."""

    name: str
    latency_messages: int
    latency_rate: float
    burst_concurrency: int
    catch_up_events: int
    sends: int
    send_warmup: int
    idle_seconds: float
    settle_seconds: float
    # Against bare Baileys (test_baseline.py, test_burst_soak.py).
    profiles: tuple[str, ...]
    idle_after_connect_s: float
    idle_before_load_s: float
    idle_per_account_s: float
    idle_cpu_seconds: float
    backlog_messages: dict[str, int]
    soak_messages: dict[str, int]
    idle_after_load_s: float


SIZES = (
    BenchSizes(
        name="quick",
        latency_messages=100,
        latency_rate=50,
        burst_concurrency=32,
        catch_up_events=300,
        sends=200,
        send_warmup=20,
        idle_seconds=3,
        settle_seconds=1,
        # One profile only, to stay within the smoke run's budget.
        profiles=("two_cores",),
        # Baileys holds a fresh link's events up to 20 s for a history sync: the backlog comes later.
        idle_after_connect_s=21,
        idle_before_load_s=3,
        idle_per_account_s=2,
        idle_cpu_seconds=3,
        backlog_messages={"two_cores": 200},
        soak_messages={"two_cores": 500},
        idle_after_load_s=3,
    )
    if QUICK
    else BenchSizes(
        name="full",
        latency_messages=2_000,
        latency_rate=20,
        burst_concurrency=64,
        catch_up_events=5_000,
        sends=2_000,
        send_warmup=200,
        idle_seconds=60,
        settle_seconds=10,
        profiles=("two_cores", "one_core"),
        idle_after_connect_s=60,
        idle_before_load_s=60,
        idle_per_account_s=20,
        idle_cpu_seconds=600,
        backlog_messages={"two_cores": 10_000, "one_core": 5_000},
        # Every message is Signal-encrypted by a contact and decrypted by the receiving engine, both
        # in one process on the same cores: these are the largest loads that fit the run's budget
        # on 2 shared cores (see RESULTS.md).
        soak_messages={"two_cores": 10_000, "one_core": 5_000},
        idle_after_load_s=60,
    )
)

RESULTS: dict[str, Any] = {
    "size": asdict(SIZES),
    # Others may share the machine: the report says how busy it was.
    "load_at_start": Path("/proc/loadavg").read_text().split()[0],
}


@pytest.fixture
def sizes() -> BenchSizes:
    """The size of this run."""
    return SIZES


@pytest.fixture
def results() -> dict[str, Any]:
    """Where each benchmark puts its figures; written out when the session ends."""
    return RESULTS


@pytest.fixture(autouse=True)
def enable_event_loop_debug() -> None:
    """Leave asyncio's debug mode off, as in a real Home Assistant.

    The test harness turns it on for every test, which slows every callback
    and would be measured as the integration's cost.
    """


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the figures for bench/report.py."""
    if path := os.environ.get("WA_BENCH_RESULTS"):
        Path(path).write_text(json.dumps(RESULTS, indent=2) + "\n")
