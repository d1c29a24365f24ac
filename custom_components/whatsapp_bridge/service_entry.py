"""Which account an action is for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.exceptions import ServiceValidationError

from .const import DOMAIN
from .messaging import loaded_client

if TYPE_CHECKING:
    from homeassistant.core import ServiceCall

    from .api import WhatsAppClient
    from .coordinator import WhatsAppConfigEntry


def entry_for_call(call: ServiceCall) -> WhatsAppConfigEntry:
    """Return the account an action is for; it may be left out if there is one."""
    hass = call.hass
    if entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID):
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entry_not_found",
                translation_placeholders={"config_entry_id": entry_id},
            )
        return entry
    entries = hass.config_entries.async_entries(
        DOMAIN, include_ignore=False, include_disabled=False
    )
    if not entries:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="no_entry"
        )
    if len(entries) > 1:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="several_entries",
            translation_placeholders={
                "accounts": ", ".join(entry.title for entry in entries)
            },
        )
    return entries[0]


def client_for_call(call: ServiceCall) -> WhatsAppClient:
    """Return the client of the loaded account an action is for."""
    return loaded_client(entry_for_call(call))
