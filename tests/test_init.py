"""Setting up and unloading an entry, and what its entities show over time."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
import logging
from typing import TYPE_CHECKING
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.whatsapp_bridge.const import DOMAIN, SESSION_UPDATE_INTERVAL
from custom_components.whatsapp_bridge.entity import app_ingress_url

from .conftest import DEFAULT_JID, DEFAULT_PHONE, Addon, mock_entry
from .helpers import wait_until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

CONNECTION_SENSOR = "sensor.whatsapp_connection"
MESSAGE_EVENT = "event.whatsapp_message"


async def test_entry_creates_device_and_entities(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """One service device per account, with both entities; no phone number in any id.

    WhatsApp gave the account no name, so the device is called "WhatsApp"; the
    number is its serial number.
    """
    assert loaded_entry.state is ConfigEntryState.LOADED
    health = await linked_addon.request("GET", "/health")

    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, DEFAULT_JID), loaded_entry.entry_id
    )
    assert device is not None
    assert device.name == "WhatsApp"
    assert device.serial_number == DEFAULT_PHONE
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    assert device.manufacturer == "WhatsApp"
    assert device.model == "Linked device"
    assert device.sw_version == health["version"]
    # Reached at a plain address, not as a Supervisor app: no page to link to.
    assert device.configuration_url is None

    entities = er.async_entries_for_config_entry(
        er.async_get(hass), loaded_entry.entry_id
    )
    assert {entity.entity_id for entity in entities} == {
        CONNECTION_SENSOR,
        MESSAGE_EVENT,
    }
    assert all(entity.device_id == device.id for entity in entities)

    sensor = hass.states.get(CONNECTION_SENSOR)
    assert sensor is not None
    assert sensor.state == "connected"
    assert sensor.attributes["options"] == [
        "starting",
        "pairing",
        "connected",
        "reconnecting",
        "logged_out",
    ]


async def test_unload_stops_everything(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """After unloading nothing of the entry keeps running."""
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get(CONNECTION_SENSOR).state == STATE_UNAVAILABLE


async def test_unreachable_addon_is_retried(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """Setup waits for an add-on that is not running yet."""
    entry = mock_entry(linked_addon)
    entry.add_to_hass(hass)
    await linked_addon.async_stop()

    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_unlinked_addon_asks_to_link_again(
    hass: HomeAssistant, addon: Addon
) -> None:
    """An add-on that lost the account (here: never had it) starts re-authentication."""
    # The real engine needs a moment to reach WhatsApp and show a QR code; until then the
    # add-on cannot tell yet whether it is linked.
    await addon.wait_for_qr()
    entry = mock_entry(addon)
    entry.add_to_hass(hass)

    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_connection_changes_show_at_once(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """A connection journal event updates the sensor without waiting for a poll."""
    seen: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda event: (
            seen.append(event.data["new_state"].state)
            if event.data["entity_id"] == CONNECTION_SENSOR
            else None
        ),
    )

    await linked_addon.disconnect("connectionClosed")

    await wait_until(lambda: "reconnecting" in seen, what="the sensor to show it")
    await wait_until(
        lambda: hass.states.get(CONNECTION_SENSOR).state == "connected",
        what="the sensor to show the reconnection",
    )


async def test_logged_out_shows_and_asks_to_link(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """WhatsApp unlinked the device: the sensor says so and reauth starts."""
    await linked_addon.disconnect("loggedOut")

    await wait_until(
        lambda: hass.states.get(CONNECTION_SENSOR).state == "logged_out",
        what="the sensor to show the logout",
    )
    await wait_until(
        lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)),
        what="a re-authentication flow",
    )


async def test_entities_follow_the_addon_being_away(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    linked_addon: Addon,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Entities go unavailable while the add-on is down; one log line each way."""
    caplog.set_level(logging.INFO, logger="custom_components.whatsapp_bridge")

    await linked_addon.async_stop()
    await wait_until(
        lambda: hass.states.get(MESSAGE_EVENT).state == STATE_UNAVAILABLE,
        what="the entities to go unavailable",
    )
    assert hass.states.get(CONNECTION_SENSOR).state == STATE_UNAVAILABLE

    await linked_addon.async_start()
    await wait_until(
        lambda: hass.states.get(CONNECTION_SENSOR).state == "connected",
        what="the entities to come back",
    )

    lost = [r for r in caplog.records if r.getMessage().startswith("Lost contact")]
    back = [r for r in caplog.records if "reachable again; catching" in r.getMessage()]
    assert [r.levelno for r in lost] == [logging.WARNING]
    assert [r.levelno for r in back] == [logging.INFO]
    assert linked_addon.api_key not in caplog.text
    assert DEFAULT_PHONE not in caplog.text


async def test_addon_update_reaches_the_device(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """The device shows the version of the add-on that answers now."""
    registry = dr.async_get(hass)
    device = registry.async_get_device_by_identifier(
        (DOMAIN, DEFAULT_JID), loaded_entry.entry_id
    )
    # As recorded while an older add-on was running.
    registry.async_update_device(device.id, sw_version="0.0.1")

    # The coordinator polls at a random instant within the second after the interval.
    async_fire_time_changed(
        hass, dt_util.utcnow() + SESSION_UPDATE_INTERVAL + timedelta(seconds=1)
    )

    health = await linked_addon.request("GET", "/health")
    await wait_until(
        lambda: registry.async_get(device.id).sw_version == health["version"],
        what="the device to show the add-on's version",
    )


async def test_removing_the_entry_forgets_its_position(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    linked_addon: Addon,
    hass_storage: dict,
) -> None:
    """Nothing of a removed entry stays behind in storage."""
    await linked_addon.incoming(text="hello")
    key = f"{DOMAIN}.{loaded_entry.entry_id}"
    await wait_until(lambda: key in hass_storage, what="the position to be saved")

    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert key not in hass_storage


async def test_device_is_named_after_the_account(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The device follows the account's WhatsApp name; entity ids stay as they are."""
    coordinator = loaded_entry.runtime_data.coordinator
    session = coordinator.data.session
    assert session.me is not None
    named = replace(session, me=replace(session.me, name="  Ada  "))
    with patch.object(coordinator.client, "session", AsyncMock(return_value=named)):
        await coordinator.async_refresh()

    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, DEFAULT_JID), loaded_entry.entry_id
    )
    assert device is not None
    assert device.name == "Ada"
    assert hass.states.get(CONNECTION_SENSOR) is not None


@pytest.mark.parametrize(
    ("url", "page"),
    [
        (
            "http://a0d7b954-whatsapp:8066",
            "homeassistant://hassio/ingress/a0d7b954_whatsapp",
        ),
        ("http://local-whatsapp:8066", "homeassistant://hassio/ingress/local_whatsapp"),
        ("http://127.0.0.1:8066", None),
        ("http://whatsapp.example:8066", None),
    ],
)
def test_device_links_to_the_app_page(url: str, page: str | None) -> None:
    """A Supervisor app's host name tells its slug, and so its page."""
    assert app_ingress_url(url) == page
