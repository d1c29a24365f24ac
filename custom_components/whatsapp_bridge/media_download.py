"""The download_media action: a received message's media saved in the media folder."""

from __future__ import annotations

from pathlib import Path
import re
from typing import TYPE_CHECKING, Final

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import ApiErrorCode, WhatsAppApiError, WhatsAppError, received_media_id
from .const import ATTR_MESSAGE_ID, CONF_MEDIA_FOLDER, DEFAULT_MEDIA_FOLDER, DOMAIN
from .messaging import loaded_client, translate_error
from .service_entry import entry_for_call

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse

    from .api import MediaContent
    from .coordinator import WhatsAppConfigEntry

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


async def async_handle_download_media(call: ServiceCall) -> ServiceResponse:
    """Save a received message's media in the account's media folder."""
    entry = entry_for_call(call)
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
