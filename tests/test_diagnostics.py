"""Diagnostics help with bug reports without giving away secrets or messages."""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigSubentry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from syrupy.filters import props

from .conftest import DEFAULT_PHONE
from .helpers import wait_until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
    from syrupy.assertion import SnapshotAssertion

    from .conftest import Addon

# Values that differ from run to run: ids, times, the add-on's random port.
VOLATILE = ("entry_id", "created_at", "modified_at", "since", "at", "expires_at")
VOLATILE += ("id", "media_id", "timestamp", "seq", "url", "addon_version")
VOLATILE += ("subentry_id",)
# The add-on's own wording of a disconnect is its business, not this snapshot's.
VOLATILE += ("message",)


async def test_diagnostics_redact_secrets_and_messages(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    linked_addon: Addon,
    snapshot: SnapshotAssertion,
) -> None:
    """Key, phone numbers, names and texts never appear; the shape stays known."""
    hass.config_entries.async_add_subentry(
        loaded_entry,
        ConfigSubentry(
            data=MappingProxyType({"recipient": "+4915112345678"}),
            subentry_type="recipient",
            title="Alice",
            unique_id="4915112345678@s.whatsapp.net",
        ),
    )
    await linked_addon.incoming(text="my secret plans", name="Bob")
    await linked_addon.incoming(
        kind="location", location={"latitude": 52.5, "longitude": 13.4}
    )
    listener = loaded_entry.runtime_data.listener
    await wait_until(lambda: listener.last_seq == 5, what="both messages")

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )

    text = str(diagnostics)
    for secret in (linked_addon.api_key, DEFAULT_PHONE, "15550000001", "4917612345678"):
        assert secret not in text
    assert "4915112345678" not in text
    assert "my secret plans" not in text
    assert "Bob" not in text
    assert "Alice" not in text
    assert "52.5" not in text
    assert diagnostics == snapshot(exclude=props(*VOLATILE))


async def test_diagnostics_without_the_addon(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    linked_addon: Addon,
) -> None:
    """Diagnostics still work, and say so, while the add-on is away."""
    await linked_addon.async_stop()

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )

    assert diagnostics["recent_events"].startswith("unavailable: Cannot reach")
