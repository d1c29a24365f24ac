"""Event entity for the messages an account receives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .api import MessageKind
from .const import signal_message_received
from .entity import WhatsAppEntity

if TYPE_CHECKING:
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import WhatsAppConfigEntry, WhatsAppSessionCoordinator

# Nothing is fetched: messages are pushed by the event listener.
PARALLEL_UPDATES = 0

# Message fields shown as attributes; `kind` is the event type, and `from_me`
# is always false for received messages.
MESSAGE_ATTRIBUTES = (
    "id",
    "chat",
    "chat_type",
    "chat_name",
    "sender",
    "sender_phone",
    "sender_name",
    "timestamp",
    "text",
    "caption",
    "media",
    "location",
    "contact",
    "poll",
    "reaction",
    "poll_vote",
    "target_id",
    "quoted_id",
    "mentions",
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: WhatsAppConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the message event entity of one account."""
    async_add_entities([WhatsAppMessageEvent(entry.runtime_data.coordinator)])


class WhatsAppMessageEvent(WhatsAppEntity, EventEntity):
    """Fires for every message the account receives, typed by its kind."""

    _attr_translation_key = "message"

    def __init__(self, coordinator: WhatsAppSessionCoordinator) -> None:
        """Describe the entity."""
        super().__init__(coordinator, "message")
        self._attr_event_types = [kind.value for kind in MessageKind]

    async def async_added_to_hass(self) -> None:
        """Listen for the messages of this entry."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                signal_message_received(self.coordinator.config_entry.entry_id),
                self._async_message_received,
            )
        )

    @callback
    def _async_message_received(self, message: dict[str, Any]) -> None:
        kind = message.get("kind")
        self._trigger_event(
            kind if kind in self.event_types else MessageKind.OTHER.value,
            {key: message.get(key) for key in MESSAGE_ATTRIBUTES},
        )
        self.async_write_ha_state()
