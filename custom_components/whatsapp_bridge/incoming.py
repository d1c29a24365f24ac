"""What one journalled message sets off: events, commands, Assist and waiting asks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .ask import PendingAsks
from .assist import AssistResponder
from .const import (
    ATTR_ARGS,
    ATTR_ASSIST,
    ATTR_COMMAND,
    ATTR_ENTRY_ID,
    EVENT_COMMAND,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_SENT,
    signal_message_received,
)
from .recipients import accepts_everyone, recipient_of

if TYPE_CHECKING:
    from .api import WhatsAppClient
    from .coordinator import WhatsAppConfigEntry


def parse_command(message: dict[str, Any]) -> tuple[str, list[str]] | None:
    """Split `/name arg1 arg2` into the command's name and its arguments.

    The name is lower-cased: phone keyboards like to capitalise the first word.
    """
    text = message.get("text")
    if message.get("kind") != "text" or not isinstance(text, str):
        return None
    if not text.startswith("/") or len(text) < 2 or text[1].isspace():
        return None
    name, *args = text[1:].split()
    return name.lower(), args


class IncomingMessages:
    """Decides, per message, who hears of it.

    - The account's own messages (from the phone) always fire: the owner may
      do anything.
    - Others' messages fire the bus events, commands and the event entity
      unless the entry accepts only recipients and the chat is not one.
    - A vote always reaches the `ask` waiting for it: that chat was asked.
    - Assist answers only recipients with a conversation agent.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: WhatsAppConfigEntry,
        client: WhatsAppClient,
        account_jid: str,
    ) -> None:
        """Route the messages of one account."""
        self._hass = hass
        self._entry = entry
        self.asks = PendingAsks()
        self.assist = AssistResponder(hass, entry, client, account_jid)

    @callback
    def handle(self, message: dict[str, Any]) -> None:
        """Fire and answer what one message calls for."""
        payload = {**message, ATTR_ENTRY_ID: self._entry.entry_id}
        if message.get("from_me"):
            self._hass.bus.async_fire(EVENT_MESSAGE_SENT, payload)
            self._fire_command(payload)
            return
        self.asks.vote_received(message)
        recipient = recipient_of(self._entry, message)
        if recipient is None and not accepts_everyone(self._entry):
            return
        agent = self.assist.agent_for(message, recipient)
        # Whatever the agent does is done in this context, so the logbook and
        # automations trace it back to this message's event.
        context = Context()
        self._hass.bus.async_fire(
            EVENT_MESSAGE_RECEIVED,
            {**payload, ATTR_ASSIST: agent is not None},
            context=context,
        )
        async_dispatcher_send(
            self._hass, signal_message_received(self._entry.entry_id), message
        )
        self._fire_command(payload, context)
        if agent is not None and recipient is not None:
            self.assist.async_answer(message, recipient, agent, context)

    @callback
    def _fire_command(
        self, payload: dict[str, Any], context: Context | None = None
    ) -> None:
        if (command := parse_command(payload)) is not None:
            name, args = command
            self._hass.bus.async_fire(
                EVENT_COMMAND,
                {**payload, ATTR_COMMAND: name, ATTR_ARGS: args},
                context=context,
            )
