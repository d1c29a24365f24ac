"""What the add-on reports: its session, health, journal, sent messages and groups.

Each model is built from the add-on's JSON with `from_dict`; a missing or
mistyped field raises KeyError, TypeError or ValueError, which the client
turns into one error about an incompatible add-on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Self


class SessionState(StrEnum):
    """State of the add-on's WhatsApp connection."""

    STARTING = "starting"
    PAIRING = "pairing"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    LOGGED_OUT = "logged_out"


class MessageKind(StrEnum):
    """Kind of a WhatsApp message as the add-on's journal reports it."""

    TEXT = "text"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACT = "contact"
    POLL = "poll"
    REACTION = "reaction"
    POLL_VOTE = "poll_vote"
    EDIT = "edit"
    DELETE = "delete"
    OTHER = "other"


class PresenceState(StrEnum):
    """What the account shows in a chat."""

    COMPOSING = "composing"
    RECORDING = "recording"
    PAUSED = "paused"
    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"


class JournalEventType(StrEnum):
    """Type of an event in the add-on's journal."""

    MESSAGE = "message"
    MESSAGE_STATUS = "message_status"
    CONNECTION = "connection"
    GROUP = "group"


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 timestamp, got {value!r}")
    return datetime.fromisoformat(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """The WhatsApp account the add-on is linked to."""

    jid: str
    phone: str
    name: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from the API's JSON."""
        return cls(jid=data["jid"], phone=data["phone"], name=data.get("name"))


@dataclass(frozen=True, slots=True, kw_only=True)
class QrCode:
    """A QR code for the phone to scan; WhatsApp replaces it every few seconds."""

    code: str
    expires_at: datetime

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from the API's JSON."""
        return cls(code=data["code"], expires_at=_timestamp(data["expires_at"]))


@dataclass(frozen=True, slots=True, kw_only=True)
class Disconnect:
    """Why the WhatsApp connection last ended."""

    reason: str
    message: str
    at: datetime

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from the API's JSON."""
        return cls(
            reason=data["reason"], message=data["message"], at=_timestamp(data["at"])
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """The add-on's WhatsApp session (`GET /v1/session`)."""

    state: SessionState
    me: Account | None
    qr: QrCode | None
    pairing_code: str | None
    last_disconnect: Disconnect | None
    since: datetime

    @property
    def linked_account(self) -> Account | None:
        """The linked account, unless the add-on waits for a new pairing."""
        return None if self.state is SessionState.LOGGED_OUT else self.me

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from the API's JSON."""
        return cls(
            state=SessionState(data["state"]),
            me=Account.from_dict(data["me"]) if data.get("me") else None,
            qr=QrCode.from_dict(data["qr"]) if data.get("qr") else None,
            pairing_code=data.get("pairing_code"),
            last_disconnect=(
                Disconnect.from_dict(data["last_disconnect"])
                if data.get("last_disconnect")
                else None
            ),
            since=_timestamp(data["since"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AddonAccount:
    """One of the accounts the add-on serves (`GET /v1/accounts`)."""

    id: str
    state: SessionState
    me: Account | None

    @property
    def linked_account(self) -> Account | None:
        """The linked WhatsApp number, unless the account waits for a new pairing."""
        return None if self.state is SessionState.LOGGED_OUT else self.me

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from the API's JSON."""
        return cls(
            id=str(data["id"]),
            state=SessionState(data["state"]),
            me=Account.from_dict(data["me"]) if data.get("me") else None,
        )


class StorageProblem(StrEnum):
    """Why `/health` is degraded: the add-on cannot write its data."""

    STORAGE_FULL = "storage_full"
    STORAGE_ERROR = "storage_error"


@dataclass(frozen=True, slots=True, kw_only=True)
class Health:
    """The add-on's health report (`GET /health`)."""

    status: str
    version: str
    state: SessionState
    # None while every store can write, and from add-ons that do not report it.
    storage_problem: StorageProblem | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from the API's JSON; an unknown reason counts as a write error."""
        reason = data.get("reason")
        problem: StorageProblem | None = None
        if data["status"] != "ok" and reason is not None:
            try:
                problem = StorageProblem(reason)
            except ValueError:
                problem = StorageProblem.STORAGE_ERROR
        return cls(
            status=data["status"],
            version=data["version"],
            state=SessionState(data["state"]),
            storage_problem=problem,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalEvent:
    """One event of the add-on's journal.

    `type` stays a plain string: a newer add-on may journal types this client
    does not know yet, and those must be skippable rather than fatal.
    """

    seq: int
    type: str
    at: datetime
    data: dict[str, Any]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from the API's JSON."""
        return cls(
            seq=int(data["seq"]),
            type=data["type"],
            at=_timestamp(data["at"]),
            data=dict(data["data"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class EventPage:
    """One answer of the journal long poll (`GET /v1/events`)."""

    events: list[JournalEvent]
    last_seq: int
    oldest_seq: int
    gap: bool
    # Fixed when the add-on created its journal: another id means a wiped or
    # replaced journal. None from add-ons that do not tell it.
    journal_id: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from the API's JSON."""
        journal_id = data.get("journal_id")
        return cls(
            events=[JournalEvent.from_dict(event) for event in data["events"]],
            last_seq=int(data["last_seq"]),
            oldest_seq=int(data["oldest_seq"]),
            gap=bool(data["gap"]),
            journal_id=str(journal_id) if journal_id is not None else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SentMessage:
    """A message WhatsApp has accepted (`POST /v1/messages`)."""

    id: str
    to: str
    timestamp: datetime

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from the API's JSON."""
        return cls(
            id=str(data["id"]),
            to=str(data["to"]),
            timestamp=_timestamp(data["timestamp"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadedMedia:
    """Media stored by the add-on, ready to be sent by its id (`POST /v1/media`)."""

    media_id: str
    mimetype: str
    size: int

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from the API's JSON."""
        return cls(
            media_id=str(data["media_id"]),
            mimetype=str(data["mimetype"]),
            size=int(data["size"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaContent:
    """The bytes of uploaded or received media (`GET /v1/media/{id}`)."""

    data: bytes = field(repr=False)
    mimetype: str
    filename: str | None


def received_media_id(message_id: str) -> str:
    """Return the media id under which the add-on serves a received message's media."""
    return f"r_{message_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """A group the account is in."""

    jid: str
    subject: str
    participants: int
    announce: bool

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from the API's JSON."""
        return cls(
            jid=str(data["jid"]),
            subject=str(data["subject"]),
            participants=int(data["participants"]),
            announce=bool(data["announce"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class NumberCheck:
    """Whether a phone number uses WhatsApp (`GET /v1/contacts/check`)."""

    phone: str
    exists: bool
    jid: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from the API's JSON."""
        return cls(
            phone=str(data["phone"]), exists=bool(data["exists"]), jid=data.get("jid")
        )
