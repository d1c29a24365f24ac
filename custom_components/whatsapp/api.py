"""Asynchronous client for the REST API of the WhatsApp add-on.

This module deliberately has no Home Assistant imports: it only needs an
aiohttp session, so it can be published and tested as a library of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Self

import aiohttp
from yarl import URL

if TYPE_CHECKING:
    from collections.abc import Callable

DEFAULT_PORT = 8066
DEFAULT_REQUEST_TIMEOUT = 10.0
# A long poll legitimately stays silent for `wait` seconds; only give up on it
# once the add-on has had this much longer to answer.
LONG_POLL_GRACE = 10.0


class WhatsAppError(Exception):
    """Base class for everything this client raises."""


class WhatsAppConnectionError(WhatsAppError):
    """The add-on could not be reached or did not answer like the add-on."""


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
class Health:
    """The add-on's health report (`GET /health`)."""

    status: str
    version: str
    state: SessionState

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from the API's JSON."""
        return cls(
            status=data["status"],
            version=data["version"],
            state=SessionState(data["state"]),
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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from the API's JSON."""
        return cls(
            events=[JournalEvent.from_dict(event) for event in data["events"]],
            last_seq=int(data["last_seq"]),
            oldest_seq=int(data["oldest_seq"]),
            gap=bool(data["gap"]),
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
    ) -> None:
        """Use the caller's aiohttp session; the client never closes it."""
        self.url = url.rstrip("/")
        self._base_url = URL(self.url)
        self._api_key = api_key
        self._session = session
        self._request_timeout = request_timeout

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
        authorize: bool = True,
        total_timeout: float | None = None,
    ) -> Any:
        headers = {"Authorization": f"Bearer {self._api_key}"} if authorize else {}
        seconds = total_timeout or self._request_timeout
        try:
            async with self._session.request(
                method,
                self._base_url / path,
                params=params,
                json=json,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=seconds),
            ) as response:
                if response.status == 401:
                    raise WhatsAppAuthError(
                        f"The WhatsApp add-on at {self.url} rejected the API key"
                    )
                try:
                    body = await response.json(content_type=None)
                except ValueError as err:
                    raise WhatsAppConnectionError(
                        f"{self.url} did not answer like the WhatsApp add-on "
                        f"(HTTP {response.status}, not JSON)"
                    ) from err
                if response.status >= 400:
                    raise _api_error(self.url, response.status, body)
                return body
        except TimeoutError as err:
            raise WhatsAppConnectionError(
                f"The WhatsApp add-on at {self.url} did not answer within {seconds:g} s"
            ) from err
        except aiohttp.ClientError as err:
            raise WhatsAppConnectionError(
                f"Cannot reach the WhatsApp add-on at {self.url}: {err}"
            ) from err


def _api_error(url: str, status: int, body: Any) -> WhatsAppError:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or "code" not in error:
        return WhatsAppConnectionError(
            f"{url} did not answer like the WhatsApp add-on (HTTP {status})"
        )
    return WhatsAppApiError(status, str(error["code"]), str(error.get("message", "")))
