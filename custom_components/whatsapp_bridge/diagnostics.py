"""Diagnostics of the WhatsApp integration."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY

from .api import WhatsAppError

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import WhatsAppConfigEntry

# Secrets, and everything that identifies people or says what they wrote.
TO_REDACT = {
    CONF_API_KEY,
    "title",
    "unique_id",
    "me",
    "qr",
    "pairing_code",
    "jid",
    "phone",
    "name",
    "chat",
    "chat_name",
    "sender",
    "sender_phone",
    "sender_name",
    "mentions",
    "participants",
    "subject",
    "text",
    "caption",
    "filename",
    "location",
    "contact",
    "poll",
    "reaction",
    "poll_vote",
    "recipient",
}
RECENT_EVENTS = 20


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: WhatsAppConfigEntry
) -> dict[str, Any]:
    """Return the entry, the session and the latest journal events, redacted."""
    runtime = entry.runtime_data
    status = runtime.coordinator.data
    listener = runtime.listener
    recent: list[dict[str, Any]] | str
    try:
        page = await runtime.client.events(
            max(0, (listener.last_seq or 0) - RECENT_EVENTS), limit=RECENT_EVENTS
        )
    except WhatsAppError as err:
        recent = f"unavailable: {err}"
    else:
        recent = [asdict(event) for event in page.events]
    return async_redact_data(
        {
            "entry": entry.as_dict(),
            "addon_version": status.addon_version,
            "session": asdict(status.session),
            "listener": {
                "last_seq": listener.last_seq,
                "addon_reachable": listener.reachable,
            },
            "recent_events": recent,
        },
        TO_REDACT,
    )
