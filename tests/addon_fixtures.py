"""Fixtures of the real add-on: fresh, linked, or shared by a test module, and config entries for it.

Also a stand-in server whose answers each test chooses.
"""

from __future__ import annotations

import asyncio
import subprocess
from typing import TYPE_CHECKING, Any

from aiohttp import web
from homeassistant.const import CONF_API_KEY, CONF_URL
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whatsapp_bridge.const import CONF_ACCOUNT, DOMAIN

from .addon_server import ADDON_DIR, DEFAULT_JID, NODE, Addon, Outbox, SharedAddon

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Generator, Iterable
    from pathlib import Path

    from homeassistant.config_entries import ConfigSubentryData
    from homeassistant.core import HomeAssistant


@pytest.fixture(scope="session")
def addon_built() -> None:
    """Compile the add-on once, so no single test pays for it."""
    if not (ADDON_DIR / "node_modules").is_dir():
        pytest.fail("The add-on's packages are missing: run scripts/bootstrap first")
    subprocess.run(  # noqa: S603 - a fixed command of this repository
        [NODE, "scripts/ensure-build.mjs"], cwd=ADDON_DIR, check=True, timeout=300
    )


@pytest.fixture
async def addon(
    hass: HomeAssistant,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    socket_enabled: None,
    addon_built: None,
) -> AsyncGenerator[Addon]:
    """A running add-on with an empty data directory (so: pairing)."""
    marker = request.node.get_closest_marker("addon_env")
    server = Addon(
        tmp_path / "addon-data", tmp_path / "addon.log", marker.kwargs if marker else {}
    )
    try:
        await server.async_start()
    except BaseException:
        await server.async_close()
        raise
    yield server
    # Unload first, so nothing in Home Assistant is left talking to a stopped add-on.
    await _async_unload_entries(hass)
    await server.async_close()


async def _async_unload_entries(hass: HomeAssistant) -> None:
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state.recoverable:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture(scope="module")
def shared_addon_process(
    addon_built: None, tmp_path_factory: pytest.TempPathFactory
) -> Generator[SharedAddon]:
    """One add-on process for all tests of a module that leave it running and linked.

    Starting an add-on takes seconds; tests that only send share this one and
    look only at what they added to its outbox.
    """
    shared = SharedAddon(tmp_path_factory.mktemp("shared-addon"))
    yield shared
    if shared.addon is not None:
        shared.addon.terminate()


@pytest.fixture
async def shared_addon(
    hass: HomeAssistant, shared_addon_process: SharedAddon, socket_enabled: None
) -> AsyncGenerator[Addon]:
    """The module's add-on, linked to the default account."""
    server = await shared_addon_process.async_get()
    if (await server.session())["state"] != "connected":
        await server.link()
    yield server
    await _async_unload_entries(hass)
    await server.async_close_http()


@pytest.fixture
async def shared_entry(hass: HomeAssistant, shared_addon: Addon) -> MockConfigEntry:
    """A loaded config entry for the module's add-on."""
    entry = mock_entry(shared_addon)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def outbox(shared_addon: Addon) -> Outbox:
    """The shared add-on's outbox, from the start of the test."""
    return Outbox(shared_addon, len(await shared_addon.outbox()))


@pytest.fixture
async def linked_addon(addon: Addon) -> Addon:
    """A running add-on linked to the default account."""
    await addon.link()
    return addon


def mock_entry(
    addon: Addon,
    jid: str = DEFAULT_JID,
    subentries: Iterable[ConfigSubentryData] = (),
    account: str = "default",
) -> MockConfigEntry:
    """A config entry as the config flow creates it for an account of `addon`."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="+" + jid.split("@", maxsplit=1)[0],
        unique_id=jid,
        data={CONF_URL: addon.url, CONF_API_KEY: addon.api_key, CONF_ACCOUNT: account},
        subentries_data=subentries,
        minor_version=2,
    )


@pytest.fixture
async def loaded_entry(hass: HomeAssistant, linked_addon: Addon) -> MockConfigEntry:
    """A loaded config entry for the linked add-on."""
    entry = mock_entry(linked_addon)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def other_server(
    socket_enabled: None,
) -> AsyncGenerator[tuple[str, dict[str, Any]]]:
    """An HTTP server whose answer to everything the test chooses."""
    answer: dict[str, Any] = {"requests": 0}

    async def handle(request: web.Request) -> web.StreamResponse:
        answer["requests"] += 1
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
