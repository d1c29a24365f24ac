"""The add-on client against servers that are not, or not quite, the add-on."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiohttp import web
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest

from custom_components.whatsapp.api import (
    SessionState,
    WhatsAppApiError,
    WhatsAppAuthError,
    WhatsAppClient,
    WhatsAppConnectionError,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from homeassistant.core import HomeAssistant

    from .conftest import Addon


@pytest.fixture
async def other_server(
    socket_enabled: None,
) -> AsyncGenerator[tuple[str, dict[str, Any]]]:
    """An HTTP server whose answer to everything the test chooses."""
    answer: dict[str, Any] = {}

    async def handle(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(answer.get("delay", 0))
        if "text" in answer:
            return web.Response(status=answer["status"], text=answer["text"])
        return web.json_response(answer["json"], status=answer.get("status", 200))

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", answer
    await runner.cleanup()


async def test_client_reads_the_real_addon(hass: HomeAssistant, addon: Addon) -> None:
    """Health, session and the add-on's own errors, as the add-on really sends them."""
    client = WhatsAppClient(
        addon.url + "/", addon.api_key, async_get_clientsession(hass)
    )

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
