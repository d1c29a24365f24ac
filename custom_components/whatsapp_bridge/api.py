"""Asynchronous client for the REST API of the WhatsApp add-on.

This module deliberately has no Home Assistant imports: it only needs an
aiohttp session, so it can be published and tested as a library of its own.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote
import uuid

import aiohttp
from yarl import URL

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

DEFAULT_PORT = 8066
DEFAULT_REQUEST_TIMEOUT = 10.0
# A long poll legitimately stays silent for `wait` seconds; only give up on it
# once the add-on has had this much longer to answer.
LONG_POLL_GRACE = 10.0
# The add-on answers a send only once WhatsApp has the message, and it paces
# sends like a person types (by default 12 a minute): a message behind a queue
# of others legitimately takes minutes.
DEFAULT_SEND_TIMEOUT = 300.0
# Pauses before the second and third attempt of a send whose answer got lost.
# The Idempotency-Key makes these retries safe: the add-on sends at most once.
SEND_RETRY_DELAYS = (1.0, 5.0)
# Media crosses the local network only, but can be tens of megabytes, and
# received media is first fetched from WhatsApp.
MEDIA_TIMEOUT = 120.0


class WhatsAppError(Exception):
    """Base class for everything this client raises."""


class WhatsAppConnectionError(WhatsAppError):
    """The add-on could not be reached or did not answer like the add-on."""


class WhatsAppNoAnswerError(WhatsAppConnectionError):
    """A request got no answer: refused, cut off or timed out.

    Whether the add-on acted on it is unknown, so only requests that are safe
    to repeat (idempotent sends) are retried after this.
    """


class WhatsAppAuthError(WhatsAppError):
    """The add-on rejected the API key."""


class WhatsAppApiError(WhatsAppError):
    """The add-on answered with an error of its own."""

    def __init__(self, status: int, code: str, message: str) -> None:
        """Keep the add-on's machine-readable code next to its explanation."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class ApiErrorCode(StrEnum):
    """Error codes of the add-on that callers branch on."""

    INVALID_REQUEST = "invalid_request"
    INVALID_PHONE_NUMBER = "invalid_phone_number"
    INVALID_RECIPIENT = "invalid_recipient"
    NOT_ON_WHATSAPP = "not_on_whatsapp"
    MEDIA_NOT_FOUND = "media_not_found"
    MESSAGE_NOT_FOUND = "message_not_found"
    REPLY_TARGET_NOT_FOUND = "reply_target_not_found"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    QUEUE_FULL = "queue_full"
    NOT_CONNECTED = "not_connected"
    STORAGE_FULL = "storage_full"


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


class MediaKind(StrEnum):
    """Kind of media message the add-on sends."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    STICKER = "sticker"


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


def received_media_id(message_id: str) -> str:
    """Return the media id under which the add-on serves a received message's media."""
    return f"r_{message_id}"


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


class WhatsAppClient:
    """Talks to one WhatsApp add-on over its REST API."""

    def __init__(
        self,
        url: str,
        api_key: str,
        session: aiohttp.ClientSession,
        *,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        send_timeout: float = DEFAULT_SEND_TIMEOUT,
    ) -> None:
        """Use the caller's aiohttp session; the client never closes it."""
        self.url = url.rstrip("/")
        self._base_url = URL(self.url)
        self._api_key = api_key
        self._session = session
        self._request_timeout = request_timeout
        self._send_timeout = send_timeout

    async def health(self) -> Health:
        """Return the add-on's version and connection state; needs no API key."""
        body = await self._request("GET", "health", authorize=False)
        return self._decode(Health.from_dict, body)

    async def session(self) -> Session:
        """Return the WhatsApp session, including the QR code while pairing."""
        return self._decode(Session.from_dict, await self._request("GET", "v1/session"))

    async def request_pairing_code(self, phone_number: str) -> str:
        """Ask for a code to type on the phone instead of scanning the QR code."""
        body = await self._request(
            "POST", "v1/session/pairing-code", json={"phone_number": phone_number}
        )
        return self._decode(lambda data: str(data["code"]), body)

    async def restart_session(self) -> Session:
        """Reopen the WhatsApp connection; from `logged_out` this starts a new pairing."""
        body = await self._request("POST", "v1/session/restart", json={})
        return self._decode(Session.from_dict, body)

    async def logout(self) -> Session:
        """Unlink the account from the add-on and start a fresh pairing."""
        body = await self._request("POST", "v1/session/logout", json={})
        return self._decode(Session.from_dict, body)

    async def events(self, after: int, *, limit: int = 100, wait: int = 0) -> EventPage:
        """Return journal events with a sequence number above `after`.

        With `wait` > 0 the add-on holds the request for up to that many
        seconds until an event arrives, so the timeout here is longer.
        """
        body = await self._request(
            "GET",
            "v1/events",
            params={"after": after, "limit": limit, "wait": wait},
            total_timeout=wait + LONG_POLL_GRACE,
        )
        return self._decode(EventPage.from_dict, body)

    async def send(
        self,
        to: str,
        content: MessageContent,
        *,
        reply_to: str | None = None,
        mentions: Sequence[str] = (),
        idempotency_key: str | None = None,
    ) -> SentMessage:
        """Send one message to a phone number or jid; return once WhatsApp has it.

        A request whose answer is lost is repeated with the same
        Idempotency-Key, so the add-on sends the message once however often
        it is asked. Pass a key of your own to make retries of a whole call
        safe as well.
        """
        body = {"to": to, **content.as_json()}
        if reply_to is not None:
            body["reply_to"] = reply_to
        if mentions:
            body["mentions"] = list(mentions)
        key = idempotency_key or uuid.uuid4().hex
        for delay in SEND_RETRY_DELAYS:
            try:
                return await self._post_message(body, key)
            except WhatsAppNoAnswerError:
                await asyncio.sleep(delay)
        return await self._post_message(body, key)

    async def _post_message(self, body: dict[str, Any], key: str) -> SentMessage:
        answer = await self._request(
            "POST",
            "v1/messages",
            json=body,
            headers={"Idempotency-Key": key},
            total_timeout=self._send_timeout,
        )
        return self._decode(SentMessage.from_dict, answer)

    async def upload_media(
        self, data: bytes, mimetype: str, filename: str | None = None
    ) -> UploadedMedia:
        """Store media in the add-on for sending; it keeps uploads for a day."""
        headers = {"Content-Type": mimetype}
        if filename:
            # HTTP headers are Latin-1; the add-on decodes percent-encoding.
            headers["X-Filename"] = quote(filename, safe=" ._-()")
        body = await self._request(
            "POST",
            "v1/media",
            data=data,
            headers=headers,
            total_timeout=MEDIA_TIMEOUT,
        )
        return self._decode(UploadedMedia.from_dict, body)

    async def media(self, media_id: str) -> MediaContent:
        """Return uploaded or received media; received media is fetched from WhatsApp."""
        return await self._exchange(
            "GET",
            f"v1/media/{_segment(media_id)}",
            _read_media,
            total_timeout=MEDIA_TIMEOUT,
        )

    async def edit_message(self, chat: str, message_id: str, text: str) -> None:
        """Replace the text of a message this account sent."""
        await self._request(
            "PATCH",
            f"v1/messages/{_segment(message_id)}",
            json={"chat": chat, "text": text},
            total_timeout=self._send_timeout,
        )

    async def delete_message(self, chat: str, message_id: str) -> None:
        """Delete a message this account sent, for everyone in the chat."""
        await self._request(
            "DELETE",
            f"v1/messages/{_segment(message_id)}",
            json={"chat": chat},
            total_timeout=self._send_timeout,
        )

    async def mark_read(self, chat: str, message_ids: Sequence[str] = ()) -> None:
        """Mark messages of a chat as read; without ids, its latest ones."""
        await self._request(
            "POST",
            f"v1/chats/{_segment(chat)}/read",
            json={"message_ids": list(message_ids)} if message_ids else {},
        )

    async def set_presence(self, chat: str, state: PresenceState) -> None:
        """Show typing, recording, paused, online or offline in a chat."""
        await self._request(
            "POST",
            f"v1/chats/{_segment(chat)}/presence",
            json={"state": state.value},
        )

    async def groups(self) -> list[Group]:
        """Return the groups the account is in."""
        body = await self._request("GET", "v1/groups")
        return self._decode(
            lambda data: [Group.from_dict(group) for group in data["groups"]], body
        )

    async def check_number(self, phone: str) -> NumberCheck:
        """Return whether a phone number (any common writing) uses WhatsApp."""
        body = await self._request("GET", "v1/contacts/check", params={"phone": phone})
        return self._decode(NumberCheck.from_dict, body)

    def _decode[T](self, build: Callable[[dict[str, Any]], T], body: Any) -> T:
        """Turn an answer into a model; a malformed one means an incompatible add-on."""
        problem: Exception
        if isinstance(body, dict):
            try:
                return build(body)
            except (KeyError, TypeError, ValueError) as err:
                problem = err
        else:
            problem = TypeError(f"expected a JSON object, got {type(body).__name__}")
        raise WhatsAppConnectionError(
            f"{self.url} answered in a form this integration does not understand "
            f"({problem!r}); update the WhatsApp add-on and the integration together"
        ) from problem

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        authorize: bool = True,
        total_timeout: float | None = None,
    ) -> Any:
        """Make a request whose answer is JSON, and return that."""
        return await self._exchange(
            method,
            path,
            self._read_json,
            params=params,
            json=json,
            data=data,
            headers=headers,
            authorize=authorize,
            total_timeout=total_timeout,
        )

    async def _exchange[T](
        self,
        method: str,
        path: str,
        read: Callable[[aiohttp.ClientResponse], Awaitable[T]],
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        authorize: bool = True,
        total_timeout: float | None = None,
    ) -> T:
        """Make a request; `read` turns a successful answer into the result."""
        all_headers = dict(headers or {})
        if authorize:
            all_headers["Authorization"] = f"Bearer {self._api_key}"
        seconds = total_timeout or self._request_timeout
        try:
            async with self._session.request(
                method,
                self._base_url.joinpath(path, encoded=True),
                params=params,
                json=json,
                data=data,
                headers=all_headers,
                timeout=aiohttp.ClientTimeout(total=seconds),
            ) as response:
                if response.status == 401:
                    raise WhatsAppAuthError(
                        f"The WhatsApp add-on at {self.url} rejected the API key"
                    )
                if response.status >= 400:
                    body = await self._read_json(response)
                    raise _api_error(self.url, response.status, body)
                return await read(response)
        except TimeoutError as err:
            raise WhatsAppNoAnswerError(
                f"The WhatsApp add-on at {self.url} did not answer within {seconds:g} s"
            ) from err
        except aiohttp.ClientError as err:
            raise WhatsAppNoAnswerError(
                f"Cannot reach the WhatsApp add-on at {self.url}: {err}"
            ) from err

    async def _read_json(self, response: aiohttp.ClientResponse) -> Any:
        try:
            return await response.json(content_type=None)
        except ValueError as err:
            raise WhatsAppConnectionError(
                f"{self.url} did not answer like the WhatsApp add-on "
                f"(HTTP {response.status}, not JSON)"
            ) from err


async def _read_media(response: aiohttp.ClientResponse) -> MediaContent:
    disposition = response.content_disposition
    return MediaContent(
        data=await response.read(),
        mimetype=response.content_type,
        filename=disposition.filename if disposition else None,
    )


def _segment(value: str) -> str:
    """Quote a value as one path segment, so `/`, `@` or `+` cannot change the route."""
    return quote(value, safe="")


def _api_error(url: str, status: int, body: Any) -> WhatsAppError:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or "code" not in error:
        return WhatsAppConnectionError(
            f"{url} did not answer like the WhatsApp add-on (HTTP {status})"
        )
    return WhatsAppApiError(status, str(error["code"]), str(error.get("message", "")))
