"""Fixtures: Home Assistant with this integration, and the real add-on process.

Only WhatsApp itself is simulated: the add-on runs with its simulator engine
and is reached over real HTTP on loopback. The add-on's process is driven by
`addon_server`, its fixtures live in `addon_fixtures`; both are imported here
so that every test module finds them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from unittest.mock import patch

import pytest

# Must be imported before the first `hass` fixture runs, so Home Assistant
# finds this package rather than the test harness' own custom_components.
import custom_components.whatsapp_bridge.const  # noqa: F401

from .addon_fixtures import (
    addon,
    addon_built,
    linked_addon,
    loaded_entry,
    mock_entry,
    other_server,
    outbox,
    shared_addon,
    shared_addon_process,
    shared_entry,
)
from .addon_server import (
    DEFAULT_JID,
    DEFAULT_PHONE,
    AccountCalls,
    Addon,
    AddonAccount,
    Outbox,
    SharedAddon,
    free_port,
)

if TYPE_CHECKING:
    from collections.abc import Generator

__all__ = [
    "DEFAULT_JID",
    "DEFAULT_PHONE",
    "AccountCalls",
    "Addon",
    "AddonAccount",
    "Outbox",
    "SharedAddon",
    "addon",
    "addon_built",
    "free_port",
    "linked_addon",
    "loaded_entry",
    "mock_entry",
    "other_server",
    "outbox",
    "shared_addon",
    "shared_addon_process",
    "shared_entry",
]


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker that passes settings to the add-on."""
    config.addinivalue_line(
        "markers", "addon_env(**env): extra environment variables for the add-on"
    )


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load this repository's integration."""


@pytest.fixture(autouse=True)
def fast_timings() -> Generator[None]:
    """Shorten the waits meant for real networks, so tests finish quickly."""
    with (
        patch("custom_components.whatsapp_bridge.listener.EVENTS_WAIT_SECONDS", 1),
        patch("custom_components.whatsapp_bridge.listener.RETRY_INITIAL_DELAY", 0.05),
        patch("custom_components.whatsapp_bridge.listener.RETRY_MAX_DELAY", 0.2),
        patch(
            "custom_components.whatsapp_bridge.linking_flow.PAIRING_POLL_INTERVAL", 0.05
        ),
        patch(
            "custom_components.whatsapp_bridge.linking_flow.PAIRING_UNREACHABLE_GRACE",
            1.0,
        ),
    ):
        yield
