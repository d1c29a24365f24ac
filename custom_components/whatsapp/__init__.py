"""The WhatsApp integration: a WhatsApp account linked through the WhatsApp add-on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import CONF_API_KEY, CONF_URL, Platform
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import WhatsAppClient
from .const import DOMAIN
from .coordinator import (
    WhatsAppConfigEntry,
    WhatsAppRuntimeData,
    WhatsAppSessionCoordinator,
)
from .listener import WhatsAppEventListener, cursor_store, events_lost_issue_id

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

PLATFORMS: list[Platform] = [Platform.EVENT, Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: WhatsAppConfigEntry) -> bool:
    """Connect to the add-on and start receiving its events."""
    client = WhatsAppClient(
        entry.data[CONF_URL], entry.data[CONF_API_KEY], async_get_clientsession(hass)
    )
    coordinator = WhatsAppSessionCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    listener = WhatsAppEventListener(hass, entry, client, coordinator)
    entry.runtime_data = WhatsAppRuntimeData(client, coordinator, listener)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Only now are the entities there to receive what the listener fires.
    await listener.async_start()
    entry.async_on_unload(listener.async_stop)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: WhatsAppConfigEntry) -> bool:
    """Unload the entities; the listener stops through `async_on_unload`."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: WhatsAppConfigEntry) -> None:
    """Forget what the entry kept between restarts."""
    await cursor_store(hass, entry.entry_id).async_remove()
    ir.async_delete_issue(hass, DOMAIN, events_lost_issue_id(entry.entry_id))
