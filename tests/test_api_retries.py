"""The add-on client's sends when answers get lost: retried once, never sent twice."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import aiohttp
from aiohttp import web
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest

from custom_components.whatsapp_bridge.api import (
    ApiErrorCode,
    Text,
    WhatsAppApiError,
    WhatsAppClient,
    WhatsAppNoAnswerError,
)

from .chats import PHONE

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from homeassistant.core import HomeAssistant

    from .addon_server import Addon, Outbox


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
