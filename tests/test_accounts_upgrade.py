"""Several numbers, from older versions: entries and add-ons from before accounts existed."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whatsapp_bridge.const import CONF_ACCOUNT, DOMAIN

from .addon_server import DEFAULT_JID, DEFAULT_PHONE

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from homeassistant.config_entries import ConfigFlowResult
    from homeassistant.core import HomeAssistant

    from .addon_server import Addon


async def test_entry_from_before_accounts_is_the_default_account(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """An entry without `account` is migrated to `default` and loads as before."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=DEFAULT_PHONE,
        unique_id=DEFAULT_JID,
        data={CONF_URL: linked_addon.url, CONF_API_KEY: linked_addon.api_key},
        version=1,
        minor_version=1,
    )
    entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert entry.minor_version == 2
    assert entry.data == {
        CONF_URL: linked_addon.url,
        CONF_API_KEY: linked_addon.api_key,
        CONF_ACCOUNT: "default",
    }


async def test_entry_from_a_newer_version_is_left_alone(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    """A downgrade does not load an entry it cannot understand."""
    entry = MockConfigEntry(domain=DOMAIN, unique_id=DEFAULT_JID, version=2)
    entry.add_to_hass(hass)

    assert not await hass.config_entries.async_setup(entry.entry_id)
    # The integration's own set-up (its legacy notify service) goes on in the background.
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


@pytest.fixture
async def addon_before_accounts(
    socket_enabled: None,
) -> AsyncGenerator[tuple[str, str]]:
    """An add-on from before accounts existed: one session, no `/v1/accounts`."""
    api_key = "key-of-an-older-add-on"
    session = {
        "state": "connected",
        "me": {"jid": DEFAULT_JID, "phone": DEFAULT_PHONE, "name": None},
        "qr": None,
        "pairing_code": None,
        "last_disconnect": None,
        "since": "2026-01-01T00:00:00+00:00",
    }

    async def answer(request: web.Request) -> web.Response:
        if request.path == "/health":
            return web.json_response(
                {"status": "ok", "version": "0.1.0", "state": "connected"}
            )
        if request.headers.get("Authorization") != f"Bearer {api_key}":
            return web.json_response({"error": {"code": "unauthorized"}}, status=401)
        if request.path == "/v1/session":
            return web.json_response(session)
        if request.path == "/v1/events":
            await asyncio.sleep(0.2)
            return web.json_response(
                {"events": [], "last_seq": 0, "oldest_seq": 0, "gap": False}
            )
        return web.json_response(
            {"error": {"code": "not_found", "message": "No such route."}}, status=404
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", api_key
    await runner.cleanup()


async def test_addon_from_before_accounts_serves_one_number(
    hass: HomeAssistant, addon_before_accounts: tuple[str, str]
) -> None:
    """Its one number is set up as `default`; linking another asks for an update."""
    url, api_key = addon_before_accounts

    async def add_whatsapp() -> ConfigFlowResult:
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
        return await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: url, CONF_API_KEY: api_key}
        )

    result = await add_whatsapp()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_ACCOUNT] == "default"
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    result = await add_whatsapp()
    assert result["step_id"] == "link_another"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "accounts_not_supported"
    await hass.config_entries.async_unload(entry.entry_id)
