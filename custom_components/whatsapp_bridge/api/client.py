"""The add-on's REST API over aiohttp: requests, timeouts, retries and errors."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
import uuid

import aiohttp
from yarl import URL

from .errors import (
    WhatsAppAuthError,
    WhatsAppConnectionError,
    WhatsAppNoAnswerError,
    error_from_answer,
)
from .models import (
    AddonAccount,
    EventPage,
    Group,
    Health,
    MediaContent,
    NumberCheck,
    SentMessage,
    Session,
    UploadedMedia,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from .content import MessageContent
    from .models import PresenceState


DEFAULT_PORT = 8066
# The account the add-on's unscoped routes (`/v1/session`, …) mean; it always exists.
DEFAULT_ACCOUNT = "default"
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


class WhatsAppClient:
    """Talks to one account of a WhatsApp add-on over its REST API.

    The add-on serves several accounts (linked WhatsApp numbers). Routes of
    the `default` account keep their unscoped form (`/v1/session`), so add-ons
    from before accounts existed keep working; every other account's routes
    live under `/v1/accounts/{account}/`.
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        session: aiohttp.ClientSession,
        *,
        account: str = DEFAULT_ACCOUNT,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        send_timeout: float = DEFAULT_SEND_TIMEOUT,
    ) -> None:
        """Use the caller's aiohttp session; the client never closes it."""
        self.url = url.rstrip("/")
        self.account = account
        self._base_url = URL(self.url)
        self._api_key = api_key
        self._session = session
        self._request_timeout = request_timeout
        self._send_timeout = send_timeout
        self._prefix = (
            "v1/" if account == DEFAULT_ACCOUNT else f"v1/accounts/{_segment(account)}/"
        )

    def for_account(self, account: str) -> WhatsAppClient:
        """Return a client for another account of the same add-on."""
        return WhatsAppClient(
            self.url,
            self._api_key,
            self._session,
            account=account,
            request_timeout=self._request_timeout,
            send_timeout=self._send_timeout,
        )

    async def health(self) -> Health:
        """Return the add-on's version and connection state; needs no API key."""
        body = await self._request("GET", "/health", authorize=False)
        return self._decode(Health.from_dict, body)

    async def list_accounts(self) -> list[AddonAccount]:
        """Return every account the add-on serves, `default` first."""
        body = await self._request("GET", "/v1/accounts")
        return self._decode(
            lambda data: [AddonAccount.from_dict(item) for item in data["accounts"]],
            body,
        )

    async def create_account(self, account: str | None = None) -> str:
        """Create an account that starts pairing; return its id.

        Without an id the add-on makes one up. Raises
        WhatsAppTooManyAccountsError when the add-on serves its maximum.
        """
        body = await self._request(
            "POST", "/v1/accounts", json={} if account is None else {"id": account}
        )
        return self._decode(lambda data: str(data["id"]), body)

    async def delete_account(self, account: str) -> None:
        """Unlink an account from WhatsApp and delete everything the add-on kept of it."""
        await self._request("DELETE", f"/v1/accounts/{_segment(account)}")

    async def session(self) -> Session:
        """Return the WhatsApp session, including the QR code while pairing."""
        return self._decode(Session.from_dict, await self._request("GET", "session"))

    async def request_pairing_code(self, phone_number: str) -> str:
        """Ask for a code to type on the phone instead of scanning the QR code."""
        body = await self._request(
            "POST", "session/pairing-code", json={"phone_number": phone_number}
        )
        return self._decode(lambda data: str(data["code"]), body)

    async def restart_session(self) -> Session:
        """Reopen the WhatsApp connection; from `logged_out` this starts a new pairing."""
        body = await self._request("POST", "session/restart", json={})
        return self._decode(Session.from_dict, body)

    async def logout(self) -> Session:
        """Unlink the account from the add-on and start a fresh pairing."""
        body = await self._request("POST", "session/logout", json={})
        return self._decode(Session.from_dict, body)

    async def events(self, after: int, *, limit: int = 100, wait: int = 0) -> EventPage:
        """Return journal events with a sequence number above `after`.

        With `wait` > 0 the add-on holds the request for up to that many
        seconds until an event arrives, so the timeout here is longer.
        """
        body = await self._request(
            "GET",
            "events",
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
            "messages",
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
            "media",
            data=data,
            headers=headers,
            total_timeout=MEDIA_TIMEOUT,
        )
        return self._decode(UploadedMedia.from_dict, body)

    async def media(self, media_id: str) -> MediaContent:
        """Return uploaded or received media; received media is fetched from WhatsApp."""
        return await self._exchange(
            "GET",
            f"media/{_segment(media_id)}",
            _read_media,
            total_timeout=MEDIA_TIMEOUT,
        )

    async def edit_message(self, chat: str, message_id: str, text: str) -> None:
        """Replace the text of a message this account sent."""
        await self._request(
            "PATCH",
            f"messages/{_segment(message_id)}",
            json={"chat": chat, "text": text},
            total_timeout=self._send_timeout,
        )

    async def delete_message(self, chat: str, message_id: str) -> None:
        """Delete a message this account sent, for everyone in the chat."""
        await self._request(
            "DELETE",
            f"messages/{_segment(message_id)}",
            json={"chat": chat},
            total_timeout=self._send_timeout,
        )

    async def mark_read(self, chat: str, message_ids: Sequence[str] = ()) -> None:
        """Mark messages of a chat as read; without ids, its latest ones."""
        await self._request(
            "POST",
            f"chats/{_segment(chat)}/read",
            json={"message_ids": list(message_ids)} if message_ids else {},
        )

    async def set_presence(self, chat: str, state: PresenceState) -> None:
        """Show typing, recording, paused, online or offline in a chat."""
        await self._request(
            "POST",
            f"chats/{_segment(chat)}/presence",
            json={"state": state.value},
        )

    async def groups(self) -> list[Group]:
        """Return the groups the account is in."""
        body = await self._request("GET", "groups")
        return self._decode(
            lambda data: [Group.from_dict(group) for group in data["groups"]], body
        )

    async def check_number(self, phone: str) -> NumberCheck:
        """Return whether a phone number (any common writing) uses WhatsApp."""
        body = await self._request("GET", "contacts/check", params={"phone": phone})
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
        """Make a request; `read` turns a successful answer into the result.

        A `path` starting with `/` is the add-on's own; any other is a route
        of this client's account.
        """
        route = path[1:] if path.startswith("/") else self._prefix + path
        all_headers = dict(headers or {})
        if authorize:
            all_headers["Authorization"] = f"Bearer {self._api_key}"
        seconds = total_timeout or self._request_timeout
        try:
            async with self._session.request(
                method,
                self._base_url.joinpath(route, encoded=True),
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
                    raise error_from_answer(self.url, response.status, body)
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
