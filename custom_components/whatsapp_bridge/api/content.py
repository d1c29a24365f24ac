"""What a message carries: text, media, a location, a contact, a poll or a reaction.

Each kind turns itself into the type-specific fields of `POST /v1/messages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class MediaKind(StrEnum):
    """Kind of media message the add-on sends."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    STICKER = "sticker"


@dataclass(frozen=True, slots=True, kw_only=True)
class Text:
    """A text message."""

    text: str

    def as_json(self) -> dict[str, Any]:
        """Return the type-specific fields of the send request."""
        return {"type": "text", "text": self.text}


# The media kinds WhatsApp shows a caption with.
CAPTIONED_MEDIA = frozenset({MediaKind.IMAGE, MediaKind.VIDEO, MediaKind.DOCUMENT})


@dataclass(frozen=True, slots=True, kw_only=True)
class Media:
    """An image, video, audio, document or sticker uploaded before with `upload_media`."""

    kind: MediaKind
    media_id: str
    caption: str | None = None
    filename: str | None = None
    voice: bool = False

    def as_json(self) -> dict[str, Any]:
        """Return the fields of the send request; each media kind takes only its own."""
        body: dict[str, Any] = {"type": self.kind.value, "media_id": self.media_id}
        if self.caption is not None and self.kind in CAPTIONED_MEDIA:
            body["caption"] = self.caption
        if self.filename is not None and self.kind is MediaKind.DOCUMENT:
            body["filename"] = self.filename
        if self.voice and self.kind is MediaKind.AUDIO:
            body["voice"] = True
        return body


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """A location pin."""

    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None

    def as_json(self) -> dict[str, Any]:
        """Return the type-specific fields of the send request."""
        body: dict[str, Any] = {
            "type": "location",
            "latitude": self.latitude,
            "longitude": self.longitude,
        }
        if self.name is not None:
            body["name"] = self.name
        if self.address is not None:
            body["address"] = self.address
        return body


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """A contact card."""

    name: str
    phone: str

    def as_json(self) -> dict[str, Any]:
        """Return the type-specific fields of the send request."""
        return {"type": "contact", "name": self.name, "phone": self.phone}


@dataclass(frozen=True, slots=True, kw_only=True)
class Poll:
    """A poll; WhatsApp takes 2 to 12 different options."""

    question: str
    options: tuple[str, ...]
    multiple: bool = False

    def as_json(self) -> dict[str, Any]:
        """Return the type-specific fields of the send request."""
        return {
            "type": "poll",
            "question": self.question,
            "options": list(self.options),
            "multiple": self.multiple,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Reaction:
    """An emoji reaction to a message; an empty emoji removes the reaction."""

    message_id: str
    emoji: str

    def as_json(self) -> dict[str, Any]:
        """Return the type-specific fields of the send request."""
        return {"type": "reaction", "message_id": self.message_id, "emoji": self.emoji}


type MessageContent = Text | Media | Location | Contact | Poll | Reaction
