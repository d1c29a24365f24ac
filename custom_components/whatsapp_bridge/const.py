"""Constants of the WhatsApp integration."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
import logging
from typing import Final

DOMAIN: Final = "whatsapp_bridge"
LOGGER = logging.getLogger(__package__)

# The account's device when WhatsApp does not tell the account's own name.
DEFAULT_DEVICE_NAME: Final = "WhatsApp"

# How often the session state is fetched when no `connection` event says it changed.
SESSION_UPDATE_INTERVAL: Final = timedelta(seconds=30)

CONF_PHONE_NUMBER: Final = "phone_number"
# The add-on account (one linked WhatsApp number) a config entry is for.
CONF_ACCOUNT: Final = "account"
# Folder for downloaded media, relative to Home Assistant's media folder.
CONF_MEDIA_FOLDER: Final = "media_folder"
DEFAULT_MEDIA_FOLDER: Final = "whatsapp"

SUBENTRY_RECIPIENT: Final = "recipient"
# How a group jid ends; a person's ends in `@s.whatsapp.net` or `@lid`.
GROUP_SUFFIX: Final = "@g.us"
CONF_RECIPIENT: Final = "recipient"
# The conversation agent that answers a recipient's chat; absent or empty = off.
CONF_CONVERSATION_AGENT: Final = "conversation_agent"
CONF_ACCEPT_FROM: Final = "accept_from"


class AcceptFrom(StrEnum):
    """Whose messages fire events, commands and the event entity."""

    EVERYONE = "everyone"
    RECIPIENTS = "recipients"


EVENT_MESSAGE_RECEIVED: Final = "whatsapp_bridge_message_received"
EVENT_MESSAGE_SENT: Final = "whatsapp_bridge_message_sent"
EVENT_COMMAND: Final = "whatsapp_bridge_command"
EVENT_MESSAGE_STATUS: Final = "whatsapp_bridge_message_status"

ATTR_ENTRY_ID: Final = "entry_id"
ATTR_COMMAND: Final = "command"
ATTR_ARGS: Final = "args"
# True on a received message that a conversation agent answers.
ATTR_ASSIST: Final = "assist"

# Fields of the actions and of the legacy notify service's `data`.
ATTR_TARGET: Final = "target"
ATTR_MESSAGE: Final = "message"
ATTR_MEDIA: Final = "media"
ATTR_MEDIA_TYPE: Final = "media_type"
ATTR_FILENAME: Final = "filename"
ATTR_REPLY_TO: Final = "reply_to"
ATTR_MENTIONS: Final = "mentions"
ATTR_LOCATION: Final = "location"
ATTR_ADDRESS: Final = "address"
ATTR_QUESTION: Final = "question"
ATTR_OPTIONS: Final = "options"
ATTR_MULTIPLE: Final = "multiple"
ATTR_CHAT: Final = "chat"
ATTR_MESSAGE_ID: Final = "message_id"
ATTR_MESSAGE_IDS: Final = "message_ids"
ATTR_EMOJI: Final = "emoji"
ATTR_PHONE: Final = "phone"
ATTR_TIMEOUT: Final = "timeout"


def signal_message_received(entry_id: str) -> str:
    """Dispatcher signal carrying each message received by one config entry."""
    return f"{DOMAIN}_{entry_id}_message_received"


def phone_from_jid(jid: str) -> str:
    """Return the E.164 phone number of a phone-number jid (`49176…@s.whatsapp.net`)."""
    return "+" + jid.partition("@")[0].partition(":")[0]


def account_device_name(push_name: str | None) -> str:
    """Name the account's device after its WhatsApp name, never its number."""
    return (push_name or "").strip() or DEFAULT_DEVICE_NAME
