"""Actions of the WhatsApp integration."""

from __future__ import annotations

from pathlib import Path
import re
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_LATITUDE,
    ATTR_LONGITUDE,
    ATTR_NAME,
    ATTR_STATE,
)
from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
import probatio

from .api import (
    ApiErrorCode,
    Location,
    Poll,
    PresenceState,
    Reaction,
    WhatsAppApiError,
    WhatsAppError,
    received_media_id,
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
    CONF_MEDIA_FOLDER,
    DEFAULT_MEDIA_FOLDER,
    DOMAIN,
)
from .messaging import (
    Outgoing,
    OutgoingMedia,
    SendMediaType,
    SentToTarget,
    async_send,
    loaded_client,
    translate_error,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.core import ServiceResponse

    from .api import MediaContent, WhatsAppClient
    from .coordinator import WhatsAppConfigEntry

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

# WhatsApp's limits for polls.
POLL_MIN_OPTIONS: Final = 2
POLL_MAX_OPTIONS: Final = 12
# How long `ask` may wait for a vote: a day; a restart ends any wait anyway.
ASK_MAX_SECONDS: Final = 86400
# Characters of a received message's id that are kept in its file name.
UNSAFE_FILENAME_CHARACTERS: Final = re.compile(r"[^A-Za-z0-9._-]")

# The extension of a downloaded file, by the media type the add-on reports.
SAFE_EXTENSIONS: Final[dict[str, str]] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "video/mp4": ".mp4",
    "video/3gpp": ".3gp",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/amr": ".amr",
    "audio/wav": ".wav",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "text/csv": ".csv",
    "application/zip": ".zip",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        ".pptx"
    ),
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
}
# Anything else is kept as bytes nothing opens by accident.
UNKNOWN_EXTENSION: Final = ".bin"

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


def outgoing_media(data: Mapping[str, Any]) -> OutgoingMedia | None:
    """Return the media to send, if the call has any."""
    if ATTR_MEDIA not in data:
        return None
    return OutgoingMedia(
        source=data[ATTR_MEDIA],
        media_type=data.get(ATTR_MEDIA_TYPE),
        filename=data.get(ATTR_FILENAME),
    )


def location(data: Mapping[str, Any]) -> Location:
    """Return the location described by fields validated with `LOCATION_FIELDS`."""
    return Location(
        latitude=data[ATTR_LATITUDE],
        longitude=data[ATTR_LONGITUDE],
        name=data.get(ATTR_NAME),
        address=data.get(ATTR_ADDRESS),
    )


def _entry(call: ServiceCall) -> WhatsAppConfigEntry:
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


def _client(call: ServiceCall) -> WhatsAppClient:
    return loaded_client(_entry(call))


def _messages_response(call: ServiceCall, sent: list[SentToTarget]) -> ServiceResponse:
    if not call.return_response:
        return None
    return {"messages": [{"target": item.target, "id": item.id} for item in sent]}


async def _async_send_message(call: ServiceCall) -> ServiceResponse:
    data = call.data
    sent = await async_send(
        call.hass,
        _client(call),
        data[ATTR_TARGET],
        Outgoing(
            text=data.get(ATTR_MESSAGE),
            media=outgoing_media(data),
            reply_to=data.get(ATTR_REPLY_TO),
            mentions=tuple(data.get(ATTR_MENTIONS, ())),
        ),
    )
    return _messages_response(call, sent)


async def _async_send_location(call: ServiceCall) -> ServiceResponse:
    sent = await async_send(
        call.hass,
        _client(call),
        call.data[ATTR_TARGET],
        Outgoing(location=location(call.data)),
    )
    return _messages_response(call, sent)


def _poll_options(call: ServiceCall) -> tuple[str, ...]:
    """Return a poll's options, refusing what WhatsApp would not show."""
    options = [option.strip() for option in call.data[ATTR_OPTIONS]]
    if (
        not POLL_MIN_OPTIONS <= len(options) <= POLL_MAX_OPTIONS
        or len(set(options)) != len(options)
        or not all(options)
    ):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="poll_options",
            translation_placeholders={
                "min": str(POLL_MIN_OPTIONS),
                "max": str(POLL_MAX_OPTIONS),
            },
        )
    return tuple(options)


async def _async_send_poll(call: ServiceCall) -> ServiceResponse:
    poll = Poll(
        question=call.data[ATTR_QUESTION],
        options=_poll_options(call),
        multiple=call.data[ATTR_MULTIPLE],
    )
    sent = await async_send(
        call.hass, _client(call), call.data[ATTR_TARGET], Outgoing(poll=poll)
    )
    return _messages_response(call, sent)


async def _async_ask(call: ServiceCall) -> ServiceResponse:
    """Send a one-choice poll and answer with its first vote, or None in time."""
    poll = Poll(question=call.data[ATTR_QUESTION], options=_poll_options(call))
    entry = _entry(call)
    client = loaded_client(entry)
    result = await entry.runtime_data.listener.incoming.asks.async_ask(
        call.hass, client, call.data[ATTR_TARGET], poll, call.data[ATTR_TIMEOUT]
    )
    return result.as_response()


async def _async_send_reaction(call: ServiceCall) -> None:
    client = _client(call)
    chat, message_id = call.data[ATTR_CHAT], call.data[ATTR_MESSAGE_ID]
    reaction = Reaction(message_id=message_id, emoji=call.data[ATTR_EMOJI])
    try:
        await client.send(chat, reaction)
    except WhatsAppError as err:
        raise translate_error(err, target=chat, message_id=message_id) from err


async def _async_edit_message(call: ServiceCall) -> None:
    client = _client(call)
    message_id = call.data[ATTR_MESSAGE_ID]
    try:
        await client.edit_message(
            call.data[ATTR_CHAT], message_id, call.data[ATTR_MESSAGE]
        )
    except WhatsAppError as err:
        raise translate_error(err, message_id=message_id) from err


async def _async_delete_message(call: ServiceCall) -> None:
    client = _client(call)
    message_id = call.data[ATTR_MESSAGE_ID]
    try:
        await client.delete_message(call.data[ATTR_CHAT], message_id)
    except WhatsAppError as err:
        raise translate_error(err, message_id=message_id) from err


async def _async_mark_read(call: ServiceCall) -> None:
    client = _client(call)
    try:
        await client.mark_read(
            call.data[ATTR_CHAT], call.data.get(ATTR_MESSAGE_IDS, ())
        )
    except WhatsAppError as err:
        raise translate_error(err) from err


async def _async_set_presence(call: ServiceCall) -> None:
    client = _client(call)
    try:
        await client.set_presence(call.data[ATTR_CHAT], call.data[ATTR_STATE])
    except WhatsAppError as err:
        raise translate_error(err) from err


async def _async_get_groups(call: ServiceCall) -> ServiceResponse:
    client = _client(call)
    try:
        groups = await client.groups()
    except WhatsAppError as err:
        raise translate_error(err) from err
    return {
        "groups": [
            {
                "jid": group.jid,
                "subject": group.subject,
                "participants": group.participants,
            }
            for group in groups
        ]
    }


async def _async_check_number(call: ServiceCall) -> ServiceResponse:
    client = _client(call)
    try:
        check = await client.check_number(call.data[ATTR_PHONE])
    except WhatsAppError as err:
        raise translate_error(err) from err
    return {"phone": check.phone, "exists": check.exists, "jid": check.jid}


async def _async_download_media(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call)
    client = loaded_client(entry)
    message_id = call.data[ATTR_MESSAGE_ID]
    try:
        media = await client.media(received_media_id(message_id))
    except WhatsAppApiError as err:
        if err.code == ApiErrorCode.MEDIA_NOT_FOUND:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_media",
                translation_placeholders={"message_id": message_id},
            ) from err
        raise translate_error(err) from err
    except WhatsAppError as err:
        raise translate_error(err) from err
    path = media_folder(call.hass, entry) / _media_filename(message_id, media)
    try:
        await call.hass.async_add_executor_job(_write, path, media.data)
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="media_save_failed",
            translation_placeholders={"path": str(path), "error": str(err)},
        ) from err
    # Automations may use the action only to save the file.
    return {"path": str(path)} if call.return_response else None


def media_folder(hass: HomeAssistant, entry: WhatsAppConfigEntry) -> Path:
    """Where an account saves downloaded media: a folder in the media folder."""
    media_dirs = hass.config.media_dirs
    root = media_dirs.get("local") or next(
        iter(media_dirs.values()), hass.config.path("media")
    )
    folder: str = entry.options.get(CONF_MEDIA_FOLDER, DEFAULT_MEDIA_FOLDER)
    return Path(root) / folder


def _media_filename(message_id: str, media: MediaContent) -> str:
    """Name the file after its message, so a second download replaces the first.

    The extension comes from a fixed list of media types, never from the
    sender's file name or a guess: both are the sender's choice, and a file
    that browsers run (`.html`, `.svg`) must not land in the media folder
    that Home Assistant serves.
    """
    extension = SAFE_EXTENSIONS.get(media.mimetype.lower(), UNKNOWN_EXTENSION)
    return UNSAFE_FILENAME_CHARACTERS.sub("_", message_id) + extension


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions; each call looks up the account it is for."""
    for service, handler, schema in (
        (SERVICE_SEND_MESSAGE, _async_send_message, SEND_MESSAGE_SCHEMA),
        (SERVICE_SEND_LOCATION, _async_send_location, SEND_LOCATION_SCHEMA),
        (SERVICE_SEND_POLL, _async_send_poll, SEND_POLL_SCHEMA),
        (SERVICE_DOWNLOAD_MEDIA, _async_download_media, DOWNLOAD_MEDIA_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN, service, handler, schema, SupportsResponse.OPTIONAL
        )
    for service, handler, schema in (
        (SERVICE_SEND_REACTION, _async_send_reaction, SEND_REACTION_SCHEMA),
        (SERVICE_EDIT_MESSAGE, _async_edit_message, EDIT_MESSAGE_SCHEMA),
        (SERVICE_DELETE_MESSAGE, _async_delete_message, DELETE_MESSAGE_SCHEMA),
        (SERVICE_MARK_READ, _async_mark_read, MARK_READ_SCHEMA),
        (SERVICE_SET_PRESENCE, _async_set_presence, SET_PRESENCE_SCHEMA),
    ):
        hass.services.async_register(DOMAIN, service, handler, schema)
    for service, handler, schema in (
        (SERVICE_GET_GROUPS, _async_get_groups, GET_GROUPS_SCHEMA),
        (SERVICE_CHECK_NUMBER, _async_check_number, CHECK_NUMBER_SCHEMA),
        (SERVICE_ASK, _async_ask, ASK_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN, service, handler, schema, SupportsResponse.ONLY
        )
