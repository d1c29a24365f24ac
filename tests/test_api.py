"""The add-on client against servers that are not, or not quite, the add-on."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
import hashlib
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import aiohttp
from aiohttp import web
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest

from custom_components.whatsapp_bridge.api import (
    ApiErrorCode,
    Contact,
    Location,
    Media,
    MediaKind,
    Poll,
    PresenceState,
    Reaction,
    SessionState,
    Text,
    WhatsAppAccountNotFoundError,
    WhatsAppApiError,
    WhatsAppAuthError,
    WhatsAppClient,
    WhatsAppConnectionError,
    WhatsAppNoAnswerError,
    WhatsAppTooManyAccountsError,
    received_media_id,
)

from .conftest import DEFAULT_PHONE

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from homeassistant.core import HomeAssistant

    from .conftest import Addon, Outbox


async def test_client_reads_the_real_addon(hass: HomeAssistant, addon: Addon) -> None:
    """Health, session and the add-on's own errors, as the add-on really sends them."""
    client = WhatsAppClient(
        addon.url + "/", addon.api_key, async_get_clientsession(hass)
    )
    # A just-started add-on takes a moment to get its first QR code.
    await addon.wait_for_qr()

    health = await client.health()
    session = await client.session()
    assert health.status == "ok"
    assert session.state is SessionState.PAIRING
    assert session.qr is not None
    assert session.linked_account is None

    with pytest.raises(WhatsAppApiError) as caught:
        await client.request_pairing_code("12")
    assert caught.value.status == 400
    assert caught.value.code == "invalid_phone_number"
    assert caught.value.message

    wrong = WhatsAppClient(addon.url, "wrong", async_get_clientsession(hass))
    with pytest.raises(WhatsAppAuthError):
        await wrong.session()


@pytest.mark.addon_env(WA_MAX_ACCOUNTS="2")
async def test_client_serves_each_account_on_its_own(
    hass: HomeAssistant, addon: Addon
) -> None:
    """Accounts are listed, created and deleted; a client reaches its account only."""
    default = WhatsAppClient(addon.url, addon.api_key, async_get_clientsession(hass))
    await addon.link()

    office_id = await default.create_account("office")
    office = default.for_account(office_id)
    assert office.account == "office"
    await addon.account("office").link("+15550000002")

    accounts = {account.id: account for account in await default.list_accounts()}
    assert list(accounts) == ["default", "office"]
    assert accounts["office"].state is SessionState.CONNECTED
    assert accounts["office"].linked_account is not None
    assert accounts["office"].linked_account.phone == "+15550000002"
    session = await office.session()
    assert session.me is not None
    assert session.me.phone == "+15550000002"
    assert (await default.session()).me.phone == DEFAULT_PHONE  # type: ignore[union-attr]

    await office.send("+4917612345678", Text(text="from the office"))
    assert [m["text"] for m in await addon.account("office").outbox()] == [
        "from the office"
    ]
    assert await addon.outbox() == []

    with pytest.raises(WhatsAppTooManyAccountsError) as caught:
        await default.create_account()
    assert caught.value.status == 409
    assert caught.value.message

    await default.delete_account("office")
    assert [account.id for account in await default.list_accounts()] == ["default"]
    with pytest.raises(WhatsAppAccountNotFoundError) as missing:
        await office.session()
    assert missing.value.status == 404


@pytest.mark.parametrize(
    ("answer", "complaint"),
    [
        ({"status": 404, "text": "<html>Not Found</html>"}, "not JSON"),
        ({"status": 500, "json": {"detail": "boom"}}, "HTTP 500"),
        ({"json": ["not", "an", "object"]}, "expected a JSON object"),
        ({"json": {"state": "connected"}}, "KeyError"),
        ({"json": {"state": "connected", "since": 1}}, "ISO 8601"),
        ({"json": {"state": "sleeping", "since": "2026-01-01T00:00:00Z"}}, "sleeping"),
    ],
)
async def test_something_else_on_the_port_is_not_the_addon(
    hass: HomeAssistant,
    other_server: tuple[str, dict[str, Any]],
    answer: dict[str, Any],
    complaint: str,
) -> None:
    """Answers the client cannot understand are reported, not crashed on."""
    url, server_answer = other_server
    server_answer.update(answer)
    client = WhatsAppClient(url, "key", async_get_clientsession(hass))

    with pytest.raises(WhatsAppConnectionError, match=complaint):
        await client.session()


async def test_silent_server_times_out(
    hass: HomeAssistant, other_server: tuple[str, dict[str, Any]]
) -> None:
    """A server that never answers is given up on after the request timeout."""
    url, answer = other_server
    answer.update(delay=1, json={})
    client = WhatsAppClient(
        url, "key", async_get_clientsession(hass), request_timeout=0.1
    )

    with pytest.raises(WhatsAppConnectionError, match=r"did not answer within 0\.1 s"):
        await client.health()


PHONE = "+4917612345678"
PHONE_JID = "4917612345678@s.whatsapp.net"
FAMILY = "120363000000000001@g.us"


@dataclass
class ForwardedRequest:
    """A request the proxy passed on to the add-on."""

    method: str
    path: str
    idempotency_key: str | None


class LossyProxy:
    """Passes requests to the add-on, but can lose the answer to the next send.

    `slow` answers only after the client gave up waiting; `cut` closes the
    connection without answering. Either way the add-on has done the work.
    """

    def __init__(self, addon_url: str, session: aiohttp.ClientSession) -> None:
        """Forward to `addon_url`; nothing is lost until `lose_next_send_answer`."""
        self._addon_url = addon_url
        self._session = session
        self.forwarded: list[ForwardedRequest] = []
        self._lose: str | None = None
        self._closing = asyncio.Event()

    def close(self) -> None:
        """Answer what is held back at once, so no request outlives the test."""
        self._closing.set()

    def lose_next_send_answer(self, how: str) -> None:
        """Lose the answer to the next `POST /v1/messages`, `slow` or `cut`."""
        self._lose = how

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Forward one request and, unless it is to be lost, its answer."""
        self.forwarded.append(
            ForwardedRequest(
                request.method, request.path, request.headers.get("Idempotency-Key")
            )
        )
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in ("host", "content-length")
        }
        async with self._session.request(
            request.method,
            self._addon_url + request.path_qs,
            headers=headers,
            data=await request.read(),
        ) as answer:
            body = await answer.read()
            status, content_type = answer.status, answer.content_type
        lose, self._lose = self._lose, None
        if lose is not None and request.path == "/v1/messages":
            if lose == "cut":
                assert request.transport is not None
                request.transport.close()
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), SEND_TIMEOUT * 2)
        return web.Response(status=status, body=body, content_type=content_type)


SEND_TIMEOUT = 0.5


@pytest.fixture
async def proxy(
    hass: HomeAssistant, shared_addon: Addon
) -> AsyncGenerator[tuple[str, LossyProxy]]:
    """A lossy proxy in front of the shared add-on, on loopback."""
    lossy = LossyProxy(shared_addon.url, async_get_clientsession(hass))
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", lossy.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    with patch(
        "custom_components.whatsapp_bridge.api.client.SEND_RETRY_DELAYS", (0.01, 0.01)
    ):
        yield f"http://127.0.0.1:{port}", lossy
    lossy.close()
    await runner.cleanup()


@pytest.mark.parametrize("how", ["slow", "cut"])
async def test_a_lost_answer_is_retried_and_the_message_sent_once(
    hass: HomeAssistant,
    shared_addon: Addon,
    outbox: Outbox,
    proxy: tuple[str, LossyProxy],
    how: str,
) -> None:
    """The retry carries the same Idempotency-Key, so WhatsApp gets one message."""
    url, lossy = proxy
    client = WhatsAppClient(
        url,
        shared_addon.api_key,
        async_get_clientsession(hass),
        send_timeout=SEND_TIMEOUT,
    )
    lossy.lose_next_send_answer(how)

    sent = await client.send(PHONE, Text(text="only once"))

    sends = [r for r in lossy.forwarded if r.path == "/v1/messages"]
    assert len(sends) == 2
    assert sends[0].idempotency_key
    assert sends[0].idempotency_key == sends[1].idempotency_key
    messages = await outbox.messages()
    assert [(m["id"], m["text"]) for m in messages] == [(sent.id, "only once")]


async def test_add_on_errors_are_not_retried(
    hass: HomeAssistant, shared_addon: Addon, proxy: tuple[str, LossyProxy]
) -> None:
    """An answer, even a refusal, is final: asking again would change nothing."""
    url, lossy = proxy
    client = WhatsAppClient(url, shared_addon.api_key, async_get_clientsession(hass))

    with pytest.raises(WhatsAppApiError) as caught:
        await client.send("+4915100000000", Text(text="hello?"))

    assert caught.value.code == ApiErrorCode.NOT_ON_WHATSAPP
    assert [r.path for r in lossy.forwarded] == ["/v1/messages"]


async def test_an_unreachable_add_on_is_tried_three_times(
    hass: HomeAssistant, other_server: tuple[str, dict[str, Any]]
) -> None:
    """After the last attempt the send fails, saying nothing was answered."""
    url, answer = other_server
    answer.update(delay=1, json={})
    client = WhatsAppClient(
        url, "key", async_get_clientsession(hass), send_timeout=0.05
    )

    with (
        patch(
            "custom_components.whatsapp_bridge.api.client.SEND_RETRY_DELAYS",
            (0.01, 0.01),
        ),
        pytest.raises(WhatsAppNoAnswerError, match=r"did not answer within 0\.05 s"),
    ):
        await client.send(PHONE, Text(text="lost"))
    assert answer["requests"] == 3


async def test_every_kind_of_content_arrives_as_sent(
    hass: HomeAssistant, shared_addon: Addon, outbox: Outbox
) -> None:
    """Each content type reaches WhatsApp with exactly its own fields."""
    client = WhatsAppClient(
        shared_addon.url, shared_addon.api_key, async_get_clientsession(hass)
    )
    pdf = b"%PDF-1.4 invoice"
    uploaded = await client.upload_media(pdf, "application/pdf", "Rechnung März.pdf")
    assert uploaded.mimetype == "application/pdf"
    assert uploaded.size == len(pdf)
    contents = [
        Text(text="Hi"),
        Media(kind=MediaKind.DOCUMENT, media_id=uploaded.media_id, caption="Bill"),
        Media(
            kind=MediaKind.AUDIO,
            media_id=uploaded.media_id,
            caption="dropped: audio has none",
            voice=True,
        ),
        Location(latitude=52.52, longitude=13.405, name="Home", address="Street 1"),
        Contact(name="Anna", phone="+4915112345678"),
        Poll(question="Pizza?", options=("yes", "no"), multiple=True),
    ]

    sent = [
        await client.send(FAMILY, content, mentions=[PHONE]) for content in contents
    ]
    reply = await client.send(FAMILY, Text(text="Agreed"), reply_to=sent[0].id)
    # A reaction names its message itself; WhatsApp has no quote on reactions.
    reaction = await client.send(
        PHONE, Reaction(message_id=sent[0].id, emoji="👍"), reply_to=sent[0].id
    )

    messages = await outbox.messages()
    assert [m["id"] for m in messages] == [m.id for m in [*sent, reply, reaction]]
    text, document, voice, location, contact, poll, replied, reacted = messages
    assert text["text"] == "Hi"
    assert text["to"] == FAMILY
    assert text["mentions"] == [PHONE_JID]
    assert document["type"] == "document"
    assert document["caption"] == "Bill"
    assert document["filename"] == "Rechnung März.pdf"
    assert document["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert voice["type"] == "audio"
    assert voice["voice"] is True
    assert voice["caption"] is None
    assert location["latitude"] == 52.52
    assert location["address"] == "Street 1"
    assert (contact["name"], contact["phone"]) == ("Anna", "+4915112345678")
    assert poll["options"] == ["yes", "no"]
    assert poll["multiple"] is True
    assert reacted["to"] == PHONE_JID
    assert reacted["emoji"] == "👍"
    assert reacted["message_id"] == sent[0].id
    assert replied["reply_to"] == sent[0].id
    assert "reply_to" not in reacted
    assert sent[0].to == FAMILY


async def test_chat_actions_groups_numbers_and_media(
    hass: HomeAssistant, shared_addon: Addon, outbox: Outbox
) -> None:
    """Edits, deletes, read receipts, presence, groups, number checks, media bytes."""
    client = WhatsAppClient(
        shared_addon.url, shared_addon.api_key, async_get_clientsession(hass)
    )
    question = await shared_addon.incoming(text="Still there?")
    sent = await client.send(PHONE, Text(text="typo"))
    # Written as people write it: the path segment must survive `+` and spaces.
    chat = "+49 176 12345678"

    await client.edit_message(chat, sent.id, "fixed")
    await client.delete_message(PHONE_JID, sent.id)
    await client.mark_read(chat)
    # Nothing new arrived since: nothing to tell WhatsApp.
    await client.mark_read(chat)
    await client.mark_read(PHONE_JID, ["ABC", "DEF"])
    await client.set_presence(FAMILY, PresenceState.COMPOSING)

    messages = (await outbox.messages())[1:]
    assert [(m["type"], m["to"]) for m in messages] == [
        ("edit", PHONE_JID),
        ("delete", PHONE_JID),
        ("read", PHONE_JID),
        ("read", PHONE_JID),
        ("presence", FAMILY),
    ]
    assert messages[0]["text"] == "fixed"
    assert messages[1]["message_id"] == sent.id
    assert messages[2]["message_ids"] == [question]
    assert messages[3]["message_ids"] == ["ABC", "DEF"]
    assert messages[4]["state"] == "composing"

    with pytest.raises(WhatsAppApiError) as edit_refused:
        await client.edit_message(PHONE, "3EB0NOTMINE", "no")
    with pytest.raises(WhatsAppApiError) as delete_refused:
        await client.delete_message(PHONE, "3EB0NOTMINE")
    assert edit_refused.value.code == ApiErrorCode.MESSAGE_NOT_FOUND
    assert delete_refused.value.code == ApiErrorCode.MESSAGE_NOT_FOUND
    assert len(await outbox.messages()) == 1 + len(messages), "nothing more was sent"

    groups = await client.groups()
    assert {(g.jid, g.subject, g.participants) for g in groups} >= {
        (FAMILY, "Family", 4),
        ("120363000000000002@g.us", "Neighbours", 12),
    }
    check = await client.check_number("0049 176 12345678")
    assert (check.phone, check.exists, check.jid) == (PHONE, True, PHONE_JID)
    missing = await client.check_number("+4915100000000")
    assert (missing.exists, missing.jid) == (False, None)

    uploaded = await client.upload_media(b"\x89PNG...", "image/png", "dot.png")
    media = await client.media(uploaded.media_id)
    assert (media.data, media.mimetype, media.filename) == (
        b"\x89PNG...",
        "image/png",
        "dot.png",
    )
    with pytest.raises(WhatsAppApiError) as caught:
        await client.media(received_media_id("3EB0UNKNOWN"))
    assert caught.value.code == ApiErrorCode.MEDIA_NOT_FOUND
