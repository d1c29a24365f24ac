"""Sending through the add-on: the one path of every action and notify service."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import re
from typing import TYPE_CHECKING, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import (
    CAPTIONED_MEDIA,
    ApiErrorCode,
    Location,
    Media,
    MediaKind,
    Poll,
    Text,
    WhatsAppApiError,
    WhatsAppAuthError,
    WhatsAppError,
)
from .const import DOMAIN, LOGGER
from .media import async_load_media

if TYPE_CHECKING:
    from collections.abc import Sequence

    from homeassistant.core import HomeAssistant

    from .api import MessageContent, WhatsAppClient
    from .coordinator import WhatsAppConfigEntry

# The forms of WhatsApp's chat addresses: people, groups, hidden numbers, channels.
JID: Final = re.compile(
    r"[0-9A-Za-z._-]+(:\d+)?@(s\.whatsapp\.net|g\.us|lid|newsletter)"
)

# Add-on errors caused by what the caller asked for.
CALLER_ERRORS: Final[dict[str, str]] = {
    ApiErrorCode.INVALID_REQUEST: "invalid_request",
    ApiErrorCode.INVALID_PHONE_NUMBER: "invalid_phone_number",
    ApiErrorCode.INVALID_RECIPIENT: "invalid_recipient",
    ApiErrorCode.NOT_ON_WHATSAPP: "not_on_whatsapp",
    ApiErrorCode.MESSAGE_NOT_FOUND: "message_not_found",
    ApiErrorCode.REPLY_TARGET_NOT_FOUND: "reply_target_not_found",
    ApiErrorCode.PAYLOAD_TOO_LARGE: "media_too_large_for_addon",
}
# Add-on errors caused by the state of the add-on or of WhatsApp.
ADDON_ERRORS: Final[dict[str, str]] = {
    ApiErrorCode.NOT_CONNECTED: "not_connected",
    ApiErrorCode.QUEUE_FULL: "queue_full",
    ApiErrorCode.STORAGE_FULL: "storage_full",
}


def with_title(message: str, title: str | None) -> str:
    """Put a notification's title in bold (WhatsApp's `*…*`) above its message."""
    return f"*{title}*\n{message}" if title else message


def loaded_client(entry: WhatsAppConfigEntry) -> WhatsAppClient:
    """Return the add-on client of an entry that is ready to send.

    An entry that is not loaded is the caller's to fix (set it up, enable
    it, choose another), so this is a validation error.
    """
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"account": entry.title},
        )
    return entry.runtime_data.client


def translate_error(err: WhatsAppError, **placeholders: str) -> HomeAssistantError:
    """Return the Home Assistant error that tells the user what to do about `err`.

    `placeholders` name what the request was about (`target`, `message_id`,
    …) for the messages that mention it.
    """
    if isinstance(err, WhatsAppAuthError):
        return HomeAssistantError(
            translation_domain=DOMAIN, translation_key="invalid_api_key"
        )
    if not isinstance(err, WhatsAppApiError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="addon_unreachable",
            translation_placeholders={"error": str(err)},
        )
    values = {"error": err.message, **placeholders}
    if key := CALLER_ERRORS.get(err.code):
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders=values,
        )
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=ADDON_ERRORS.get(err.code, "addon_error"),
        translation_placeholders=values,
    )


class SendMediaType(StrEnum):
    """How media is sent; a voice note is audio that WhatsApp plays inline."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    VOICE = "voice"
    DOCUMENT = "document"
    STICKER = "sticker"

    @classmethod
    def for_mimetype(cls, mimetype: str) -> SendMediaType:
        """Pick how to send a file of this type; stickers only on request."""
        main_type = mimetype.partition("/")[0]
        if main_type in (cls.IMAGE, cls.VIDEO, cls.AUDIO):
            return cls(main_type)
        return cls.DOCUMENT

    @property
    def kind(self) -> MediaKind:
        """The add-on's media kind for this type."""
        return MediaKind.AUDIO if self is SendMediaType.VOICE else MediaKind(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingMedia:
    """A file to send: a path, a `media-source://` id or an http(s) URL."""

    source: str
    media_type: SendMediaType | None = None
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class SentToTarget:
    """The id of one message, and the target it went to."""

    target: str
    id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Outgoing:
    """What one action call or notification sends to each of its targets."""

    text: str | None = None
    media: OutgoingMedia | None = None
    location: Location | None = None
    poll: Poll | None = None
    reply_to: str | None = None
    mentions: tuple[str, ...] = ()


async def async_send(
    hass: HomeAssistant,
    client: WhatsAppClient,
    targets: Sequence[str],
    outgoing: Outgoing,
) -> list[SentToTarget]:
    """Send `outgoing` to every target; return the id of each message per target.

    Everything that can be refused is checked before the first message
    leaves, so a bad number or file never sends half of a list.
    """
    text = outgoing.text if outgoing.text and not outgoing.text.isspace() else None
    if not (text or outgoing.media or outgoing.location or outgoing.poll):
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="empty_message"
        )
    await _async_check_targets(client, targets)
    contents = await _async_prepare(hass, client, outgoing, text)
    sent: list[SentToTarget] = []
    for target in targets:
        for content in contents:
            try:
                message = await client.send(
                    target,
                    content,
                    reply_to=outgoing.reply_to,
                    mentions=outgoing.mentions,
                )
            except WhatsAppError as err:
                if sent:
                    LOGGER.warning(
                        "%s of %s WhatsApp messages were sent before this one failed",
                        len(sent),
                        len(targets) * len(contents),
                    )
                raise translate_error(
                    err, target=target, reply_to=outgoing.reply_to or ""
                ) from err
            sent.append(SentToTarget(target, message.id))
    return sent


async def _async_check_targets(client: WhatsAppClient, targets: Sequence[str]) -> None:
    """Refuse malformed targets and phone numbers that are not on WhatsApp."""
    for target in targets:
        if "@" in target:
            if not JID.fullmatch(target):
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="invalid_target",
                    translation_placeholders={"target": target},
                )
            continue
        try:
            check = await client.check_number(target)
        except WhatsAppError as err:
            raise translate_error(err, target=target) from err
        if not check.exists:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="not_on_whatsapp",
                translation_placeholders={"target": target},
            )


async def _async_prepare(
    hass: HomeAssistant, client: WhatsAppClient, outgoing: Outgoing, text: str | None
) -> list[MessageContent]:
    """Upload the media once and list the messages each target gets, in order.

    The text rides along as the caption of media that shows one; otherwise it
    is a message of its own, sent first.
    """
    contents: list[MessageContent] = []
    if outgoing.media is not None:
        media = await _async_upload(hass, client, outgoing.media, text)
        if media.caption is None and text:
            contents.append(Text(text=text))
        contents.append(media)
    elif text:
        contents.append(Text(text=text))
    if outgoing.location is not None:
        contents.append(outgoing.location)
    if outgoing.poll is not None:
        contents.append(outgoing.poll)
    return contents


async def _async_upload(
    hass: HomeAssistant,
    client: WhatsAppClient,
    outgoing: OutgoingMedia,
    text: str | None,
) -> Media:
    file = await async_load_media(hass, outgoing.source)
    media_type = outgoing.media_type or SendMediaType.for_mimetype(file.mimetype)
    filename = outgoing.filename or file.filename
    try:
        uploaded = await client.upload_media(file.data, file.mimetype, filename)
    except WhatsAppError as err:
        raise translate_error(err) from err
    return Media(
        kind=media_type.kind,
        media_id=uploaded.media_id,
        caption=text if media_type.kind in CAPTIONED_MEDIA else None,
        filename=filename,
        voice=media_type is SendMediaType.VOICE,
    )
