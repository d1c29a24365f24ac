"""Which recipient subentry, if any, a received message's chat belongs to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .const import (
    CONF_ACCEPT_FROM,
    CONF_CONVERSATION_AGENT,
    CONF_RECIPIENT,
    SUBENTRY_RECIPIENT,
    AcceptFrom,
)

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigSubentry

    from .coordinator import WhatsAppConfigEntry


def recipient_of(
    entry: WhatsAppConfigEntry, message: dict[str, Any]
) -> ConfigSubentry | None:
    """Return the recipient whose chat the message was written in.

    A group is known by its jid. A person is known by the jid WhatsApp gave
    the number when it was added, or by the number itself: the add-on maps
    hidden (LID) addresses to the phone number where WhatsApp tells it.
    A person's message in a group belongs to the group, not to the person.
    """
    chat = message.get("chat")
    is_group = message.get("chat_type") == "group"
    phone = message.get("sender_phone")
    for subentry in entry.subentries.values():
        if subentry.subentry_type != SUBENTRY_RECIPIENT:
            continue
        recipient = subentry.data.get(CONF_RECIPIENT)
        if is_group:
            if recipient == chat:
                return subentry
        elif subentry.unique_id == chat or (phone and recipient == phone):
            return subentry
    return None


def conversation_agent_of(subentry: ConfigSubentry | None) -> str | None:
    """Return the agent answering a recipient's chat; None when Assist is off."""
    if subentry is None:
        return None
    agent = subentry.data.get(CONF_CONVERSATION_AGENT)
    return agent if isinstance(agent, str) and agent else None


def accepts_everyone(entry: WhatsAppConfigEntry) -> bool:
    """Whether messages from chats that are not recipients fire events."""
    accept_from: str = entry.options.get(CONF_ACCEPT_FROM, AcceptFrom.EVERYONE)
    return accept_from != AcceptFrom.RECIPIENTS
