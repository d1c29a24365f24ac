"""The WhatsApp integration: a WhatsApp account linked through the WhatsApp add-on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import CONF_API_KEY, CONF_URL, Platform
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.hass_dict import HassKey

from .api import DEFAULT_ACCOUNT, WhatsAppClient
from .const import CONF_ACCOUNT, DOMAIN, LOGGER
from .coordinator import (
    WhatsAppConfigEntry,
    WhatsAppRuntimeData,
    WhatsAppSessionCoordinator,
)
from .cursor import cursor_store
from .entity import account_device_info
from .issues import (
    async_clear_storage_issue,
    async_delete_entry_issues,
    async_offer_account_removal,
)
from .listener import WhatsAppEventListener
from .notify import async_offer_legacy_services, async_remove_legacy_service
from .services import async_setup_services

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.typing import ConfigType

PLATFORMS: list[Platform] = [Platform.EVENT, Platform.NOTIFY, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
# Legacy notify services are loaded with Home Assistant's configuration.
HASS_CONFIG: HassKey[ConfigType] = HassKey(f"{DOMAIN}_hass_config")


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Offer the actions and notify services before any account has loaded.

    Automations using them validate, and while an account cannot load (its
    add-on is down, say) a call says so instead of naming an unknown service.
    """
    hass.data[HASS_CONFIG] = config
    async_setup_services(hass)
    for entry in hass.config_entries.async_entries(
        DOMAIN, include_ignore=False, include_disabled=False
    ):
        async_offer_legacy_services(hass, entry, config)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: WhatsAppConfigEntry) -> bool:
    """Connect to the add-on and start receiving its events."""
    client = WhatsAppClient(
        entry.data[CONF_URL],
        entry.data[CONF_API_KEY],
        async_get_clientsession(hass),
        account=entry.data[CONF_ACCOUNT],
    )
    coordinator = WhatsAppSessionCoordinator(hass, entry, client)
    # Nobody watches the add-on's storage while the entry is unloaded.
    entry.async_on_unload(async_clear_storage_issue(hass, entry.entry_id))
    await coordinator.async_config_entry_first_refresh()
    # The account's device first: each recipient's device is reached through it.
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **account_device_info(coordinator)
    )
    listener = WhatsAppEventListener(hass, entry, client, coordinator)
    entry.runtime_data = WhatsAppRuntimeData(client, coordinator, listener)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Only now are the entities there to receive what the listener fires.
    await listener.async_start()
    entry.async_on_unload(listener.async_stop)
    # For accounts added since Home Assistant started.
    async_offer_legacy_services(hass, entry, hass.data[HASS_CONFIG])
    return True


async def async_unload_entry(hass: HomeAssistant, entry: WhatsAppConfigEntry) -> bool:
    """Unload the entities; the listener stops through `async_on_unload`."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_migrate_entry(hass: HomeAssistant, entry: WhatsAppConfigEntry) -> bool:
    """Bring entries of earlier versions up to date."""
    if entry.version > 1:
        # Written by a newer version of this integration: leave it alone.
        return False
    if entry.minor_version < 2:
        # Entries from before the add-on served several numbers are its `default`.
        hass.config_entries.async_update_entry(
            entry,
            data={CONF_ACCOUNT: DEFAULT_ACCOUNT, **entry.data},
            minor_version=2,
        )
        LOGGER.debug("Migrated entry %s to version 1.2", entry.entry_id)
    return True


async def async_remove_entry(hass: HomeAssistant, entry: WhatsAppConfigEntry) -> None:
    """Forget what the entry kept; offer to unlink the number from the add-on."""
    await cursor_store(hass, entry.entry_id).async_remove()
    async_delete_entry_issues(hass, entry.entry_id)
    async_offer_account_removal(hass, entry)
    await async_remove_legacy_service(hass, entry.unique_id)
    if not hass.config_entries.async_entries(DOMAIN):
        await async_remove_legacy_service(hass, None)
