"""Actions of the WhatsApp integration: their names, their fields, their registration.

The handlers are by concern: `send_actions`, `chat_actions`, `media_download`.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_LATITUDE,
    ATTR_LONGITUDE,
    ATTR_NAME,
    ATTR_STATE,
)
from homeassistant.core import HomeAssistant, SupportsResponse, callback
from homeassistant.helpers import config_validation as cv
import probatio

from .api import PresenceState
from .chat_actions import (
    async_handle_check_number,
    async_handle_delete_message,
    async_handle_edit_message,
    async_handle_get_groups,
    async_handle_mark_read,
    async_handle_send_reaction,
    async_handle_set_presence,
)
from .const import (
    ATTR_ADDRESS,
    ATTR_CHAT,
    ATTR_EMOJI,
    ATTR_FILENAME,
    ATTR_MEDIA,
    ATTR_MEDIA_TYPE,
    ATTR_MENTIONS,
    ATTR_MESSAGE,
    ATTR_MESSAGE_ID,
    ATTR_MESSAGE_IDS,
    ATTR_MULTIPLE,
    ATTR_OPTIONS,
    ATTR_PHONE,
    ATTR_QUESTION,
    ATTR_REPLY_TO,
    ATTR_TARGET,
    ATTR_TIMEOUT,
    DOMAIN,
)
from .media_download import async_handle_download_media
from .messaging import SendMediaType
from .send_actions import (
    async_handle_ask,
    async_handle_send_location,
    async_handle_send_message,
    async_handle_send_poll,
)

SERVICE_SEND_MESSAGE: Final = "send_message"
SERVICE_SEND_LOCATION: Final = "send_location"
SERVICE_SEND_POLL: Final = "send_poll"
SERVICE_SEND_REACTION: Final = "send_reaction"
SERVICE_EDIT_MESSAGE: Final = "edit_message"
SERVICE_DELETE_MESSAGE: Final = "delete_message"
SERVICE_MARK_READ: Final = "mark_read"
SERVICE_SET_PRESENCE: Final = "set_presence"
SERVICE_GET_GROUPS: Final = "get_groups"
SERVICE_CHECK_NUMBER: Final = "check_number"
SERVICE_DOWNLOAD_MEDIA: Final = "download_media"
SERVICE_ASK: Final = "ask"

# How long `ask` may wait for a vote: a day; a restart ends any wait anyway.
ASK_MAX_SECONDS: Final = 86400

STRINGS = probatio.All(cv.ensure_list, [cv.string])
TARGETS = probatio.All(STRINGS, probatio.Length(min=1))
LOCATION_FIELDS: Final[dict[probatio.Marker, Any]] = {
    probatio.Required(ATTR_LATITUDE): cv.latitude,
    probatio.Required(ATTR_LONGITUDE): cv.longitude,
    probatio.Optional(ATTR_NAME): cv.string,
    probatio.Optional(ATTR_ADDRESS): cv.string,
}
# What `send_message` and the legacy notify service's `data` have in common.
MEDIA_AND_REPLY_FIELDS: Final[dict[probatio.Marker, Any]] = {
    probatio.Optional(ATTR_MEDIA): cv.string,
    probatio.Optional(ATTR_MEDIA_TYPE): probatio.Coerce(SendMediaType),
    probatio.Optional(ATTR_FILENAME): cv.string,
    probatio.Optional(ATTR_REPLY_TO): cv.string,
    probatio.Optional(ATTR_MENTIONS): STRINGS,
}
ENTRY_FIELD: Final[dict[probatio.Marker, Any]] = {
    probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string
}
CHAT_MESSAGE_FIELDS: Final[dict[probatio.Marker, Any]] = {
    **ENTRY_FIELD,
    probatio.Required(ATTR_CHAT): cv.string,
    probatio.Required(ATTR_MESSAGE_ID): cv.string,
}

SEND_MESSAGE_SCHEMA: Final = probatio.Schema(
    {
        **ENTRY_FIELD,
        probatio.Required(ATTR_TARGET): TARGETS,
        probatio.Optional(ATTR_MESSAGE): cv.string,
        **MEDIA_AND_REPLY_FIELDS,
    }
)
SEND_LOCATION_SCHEMA: Final = probatio.Schema(
    {**ENTRY_FIELD, probatio.Required(ATTR_TARGET): TARGETS, **LOCATION_FIELDS}
)
SEND_POLL_SCHEMA: Final = probatio.Schema(
    {
        **ENTRY_FIELD,
        probatio.Required(ATTR_TARGET): TARGETS,
        probatio.Required(ATTR_QUESTION): cv.string,
        probatio.Required(ATTR_OPTIONS): STRINGS,
        probatio.Optional(ATTR_MULTIPLE, default=False): cv.boolean,
    }
)
ASK_SCHEMA: Final = probatio.Schema(
    {
        **ENTRY_FIELD,
        probatio.Required(ATTR_TARGET): cv.string,
        probatio.Required(ATTR_QUESTION): cv.string,
        probatio.Required(ATTR_OPTIONS): STRINGS,
        probatio.Required(ATTR_TIMEOUT): probatio.All(
            probatio.Coerce(float), probatio.Range(min=1, max=ASK_MAX_SECONDS)
        ),
    }
)
SEND_REACTION_SCHEMA: Final = probatio.Schema(
    {**CHAT_MESSAGE_FIELDS, probatio.Optional(ATTR_EMOJI, default=""): cv.string}
)
EDIT_MESSAGE_SCHEMA: Final = probatio.Schema(
    {**CHAT_MESSAGE_FIELDS, probatio.Required(ATTR_MESSAGE): cv.string}
)
DELETE_MESSAGE_SCHEMA: Final = probatio.Schema(CHAT_MESSAGE_FIELDS)
MARK_READ_SCHEMA: Final = probatio.Schema(
    {
        **ENTRY_FIELD,
        probatio.Required(ATTR_CHAT): cv.string,
        probatio.Optional(ATTR_MESSAGE_IDS): STRINGS,
    }
)
SET_PRESENCE_SCHEMA: Final = probatio.Schema(
    {
        **ENTRY_FIELD,
        probatio.Required(ATTR_CHAT): cv.string,
        probatio.Required(ATTR_STATE): probatio.Coerce(PresenceState),
    }
)
GET_GROUPS_SCHEMA: Final = probatio.Schema(ENTRY_FIELD)
CHECK_NUMBER_SCHEMA: Final = probatio.Schema(
    {**ENTRY_FIELD, probatio.Required(ATTR_PHONE): cv.string}
)
DOWNLOAD_MEDIA_SCHEMA: Final = probatio.Schema(
    {**ENTRY_FIELD, probatio.Required(ATTR_MESSAGE_ID): cv.string}
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions; each call looks up the account it is for."""
    for service, handler, schema in (
        (SERVICE_SEND_MESSAGE, async_handle_send_message, SEND_MESSAGE_SCHEMA),
        (SERVICE_SEND_LOCATION, async_handle_send_location, SEND_LOCATION_SCHEMA),
        (SERVICE_SEND_POLL, async_handle_send_poll, SEND_POLL_SCHEMA),
        (SERVICE_DOWNLOAD_MEDIA, async_handle_download_media, DOWNLOAD_MEDIA_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN, service, handler, schema, SupportsResponse.OPTIONAL
        )
    for service, handler, schema in (
        (SERVICE_SEND_REACTION, async_handle_send_reaction, SEND_REACTION_SCHEMA),
        (SERVICE_EDIT_MESSAGE, async_handle_edit_message, EDIT_MESSAGE_SCHEMA),
        (SERVICE_DELETE_MESSAGE, async_handle_delete_message, DELETE_MESSAGE_SCHEMA),
        (SERVICE_MARK_READ, async_handle_mark_read, MARK_READ_SCHEMA),
        (SERVICE_SET_PRESENCE, async_handle_set_presence, SET_PRESENCE_SCHEMA),
    ):
        hass.services.async_register(DOMAIN, service, handler, schema)
    for service, handler, schema in (
        (SERVICE_GET_GROUPS, async_handle_get_groups, GET_GROUPS_SCHEMA),
        (SERVICE_CHECK_NUMBER, async_handle_check_number, CHECK_NUMBER_SCHEMA),
        (SERVICE_ASK, async_handle_ask, ASK_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN, service, handler, schema, SupportsResponse.ONLY
        )
