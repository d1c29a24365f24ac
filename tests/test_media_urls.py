"""Media from URLs: Home Assistant fetches only what its allowlist permits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from aiohttp import web
from homeassistant.components.media_source import PlayMedia
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest

from custom_components.whatsapp_bridge.const import DOMAIN

from .helpers import wait_until

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from .conftest import Outbox

PHONE = "+4917612345678"
PHOTO = b"\xff\xd8\xff\xe0 a photo " * 100
SECRET = b"internal status page"


class Server:
    """A web server on loopback that remembers which paths were requested."""

    def __init__(self) -> None:
        """Nothing requested yet; `url` is known once it runs."""
        self.url = ""
        self.requested: list[str] = []
        self.redirects: dict[str, str] = {}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Redirect where told to, serve a photo under /public, a secret elsewhere."""
        self.requested.append(request.path)
        if target := self.redirects.get(request.path):
            raise web.HTTPFound(target)
        if request.path.startswith("/public/"):
            return web.Response(body=PHOTO, content_type="image/jpeg")
        return web.Response(body=SECRET, content_type="image/jpeg")


async def _async_serve(server: Server) -> AsyncGenerator[Server]:
    app = web.Application()
    app.router.add_get("/{tail:.*}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    yield server
    await runner.cleanup()


@pytest.fixture
async def public(socket_enabled: None) -> AsyncGenerator[Server]:
    """A server whose /public/ part is in `allowlist_external_urls`."""
    async for server in _async_serve(Server()):
        yield server


@pytest.fixture
async def internal(socket_enabled: None) -> AsyncGenerator[Server]:
    """A server inside the network that nobody allowlisted."""
    async for server in _async_serve(Server()):
        yield server


@pytest.fixture(autouse=True)
def allowlist(hass: HomeAssistant, public: Server) -> None:
    """Only the public part of the public server may be fetched."""
    hass.config.allowlist_external_urls = {f"{public.url}/public/"}


async def sent(outbox: Outbox, count: int) -> list[dict[str, Any]]:
    """The test's messages, once the contacts have decrypted `count` of them."""
    messages: list[dict[str, Any]] = []

    async def arrived() -> bool:
        messages[:] = await outbox.messages()
        return len(messages) >= count

    await wait_until(arrived, what=f"{count} messages in the outbox")
    return messages


async def send(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call `whatsapp_bridge.send_message` and return its response."""
    return await hass.services.async_call(
        DOMAIN, "send_message", data, blocking=True, return_response=True
    )


@pytest.mark.usefixtures("shared_entry")
async def test_urls_outside_the_allowlist_are_never_fetched(
    hass: HomeAssistant, outbox: Outbox, public: Server, internal: Server
) -> None:
    """Any user may name a URL; Home Assistant does not fetch an unlisted one."""
    for url in (
        f"{internal.url}/admin/status?token=hunter2",
        f"{public.url}/private/backup.tar?token=hunter2",
        f"http://user:hunter2@127.0.0.1:{internal.url.rsplit(':', 1)[1]}/x.jpg",
    ):
        with pytest.raises(ServiceValidationError) as caught:
            await send(hass, target=PHONE, message="Look", media=url)
        assert caught.value.translation_key == "url_not_allowed"
        assert "allowlist_external_urls in configuration.yaml" in str(caught.value)
        assert "hunter2" not in str(caught.value)

    assert internal.requested == []
    assert public.requested == []
    assert await outbox.messages() == []


async def test_allowlisted_urls_are_sent(
    hass: HomeAssistant, shared_entry: MockConfigEntry, outbox: Outbox, public: Server
) -> None:
    """A listed URL works, also through a redirect that stays in the list."""
    public.redirects["/public/latest.jpg"] = "/public/2026/photo.jpg"

    await send(hass, target=PHONE, media=f"{public.url}/public/latest.jpg")

    (message,) = await sent(outbox, 1)
    assert message["type"] == "image"
    assert public.requested == ["/public/latest.jpg", "/public/2026/photo.jpg"]


@pytest.mark.usefixtures("shared_entry")
async def test_every_redirect_is_checked(
    hass: HomeAssistant, outbox: Outbox, public: Server, internal: Server
) -> None:
    """A listed server cannot redirect Home Assistant to an unlisted address."""
    public.redirects["/public/photo.jpg"] = f"{internal.url}/admin/status?key=hunter2"
    public.redirects["/public/hop.jpg"] = "/public/hop-again.jpg"
    public.redirects["/public/hop-again.jpg"] = "/private/secret.jpg"

    for start, target in (
        ("/public/photo.jpg", f"{internal.url}/admin/status"),
        ("/public/hop.jpg", f"{public.url}/private/secret.jpg"),
    ):
        with pytest.raises(ServiceValidationError) as caught:
            await send(hass, target=PHONE, media=f"{public.url}{start}")
        assert caught.value.translation_key == "redirect_not_allowed"
        assert f"redirects to {target}, which Home Assistant may not download" in str(
            caught.value
        )
        assert "hunter2" not in str(caught.value)

    assert internal.requested == []
    assert "/private/secret.jpg" not in public.requested
    assert await outbox.messages() == []


@pytest.mark.usefixtures("shared_entry")
async def test_endless_redirects_end(
    hass: HomeAssistant, outbox: Outbox, public: Server
) -> None:
    """A redirect loop is given up after a few hops, with the start address."""
    public.redirects["/public/a.jpg"] = "/public/b.jpg"
    public.redirects["/public/b.jpg"] = "/public/a.jpg"

    with pytest.raises(HomeAssistantError) as caught:
        await send(hass, target=PHONE, media=f"{public.url}/public/a.jpg?sig=hunter2")

    assert caught.value.translation_key == "media_too_many_redirects"
    assert f"{public.url}/public/a.jpg redirects more than 5 times" in str(caught.value)
    assert "hunter2" not in str(caught.value)
    assert len(public.requested) == 6
    assert await outbox.messages() == []


@pytest.mark.usefixtures("shared_entry")
async def test_only_media_home_assistant_serves_itself_skips_the_allowlist(
    hass: HomeAssistant, outbox: Outbox, internal: Server
) -> None:
    """A media source's path on Home Assistant is fetched signed; its other URLs are checked.

    The unlisted server stands in for Home Assistant's own address here.
    """
    assert await async_setup_component(hass, "media_source", {})
    hass.config.internal_url = internal.url
    resolved = {
        "media-source://camera/camera.door": PlayMedia(
            "/api/camera_proxy/camera.door", "image/jpeg"
        ),
        "media-source://radio/station": PlayMedia(
            f"{internal.url}/admin/status", "image/jpeg"
        ),
    }

    async def resolve(hass: HomeAssistant, media_id: str, target: Any) -> PlayMedia:
        return resolved[media_id]

    with patch(
        "custom_components.whatsapp_bridge.media.media_source.async_resolve_media",
        resolve,
    ):
        await send(hass, target=PHONE, media="media-source://camera/camera.door")
        with pytest.raises(ServiceValidationError) as caught:
            await send(hass, target=PHONE, media="media-source://radio/station")

    assert caught.value.translation_key == "url_not_allowed"
    assert internal.requested == ["/api/camera_proxy/camera.door"]
    (message,) = await sent(outbox, 1)
    assert message["type"] == "image"
