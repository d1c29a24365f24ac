"""Driving the config flow as a user does: adding WhatsApp, linking numbers by QR
code, the Supervisor's discovery and re-authentication.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.hassio import HassioServiceInfo

from custom_components.whatsapp_bridge.const import CONF_ACCOUNT, DOMAIN

from .helpers import FlowProgress, wait_until

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from homeassistant.config_entries import ConfigEntry, ConfigFlowResult
    from homeassistant.core import HomeAssistant

    from .addon_server import AccountCalls, Addon

OTHER_PHONE = "+15550000002"
# The numbers a test links, the default account's first.
PHONES = ["+15550000001", "+15550000002", "+15550000003"]


def jid_of(phone: str) -> str:
    """The phone-number jid WhatsApp gives a linked number."""
    return f"{phone[1:]}@s.whatsapp.net"


async def start_user_flow(hass: HomeAssistant, addon: Addon) -> ConfigFlowResult:
    """Open the flow and enter the add-on's URL and key."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: addon.url, CONF_API_KEY: addon.api_key}
    )


async def open_qr_step(
    hass: HomeAssistant, result: ConfigFlowResult, progress: FlowProgress
) -> ConfigFlowResult:
    """Choose the QR code in the link menu and wait until a code is shown."""
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["pair_qr", "pair_code"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "pair_qr"}
    )
    if result["progress_action"] == "wait_for_qr":
        result = await progress.next_step()
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["progress_action"] == "scan_qr"
    return result


async def finish_pairing(progress: FlowProgress) -> ConfigFlowResult:
    """Follow the flow past any QR code changes until it leaves the progress step."""
    result = await progress.next_step()
    while result["type"] is FlowResultType.SHOW_PROGRESS:
        result = await progress.next_step()
    return result


async def pair_by_qr(
    hass: HomeAssistant,
    result: ConfigFlowResult,
    meanwhile: Callable[[], Awaitable[object]],
) -> ConfigFlowResult:
    """Open the QR step, do `meanwhile` (scan, stop the add-on, …), follow the flow on."""
    progress = FlowProgress(hass, result["flow_id"])
    try:
        await open_qr_step(hass, result, progress)
        await meanwhile()
        return await finish_pairing(progress)
    finally:
        progress.close()


def discovery(addon: Addon, api_key: str | None = None) -> HassioServiceInfo:
    """What the Supervisor announces for the add-on."""
    return HassioServiceInfo(
        config={
            "host": "127.0.0.1",
            "port": addon.port,
            "api_key": api_key or addon.api_key,
        },
        name="WhatsApp",
        slug="whatsapp",
        uuid="a0d7b954whatsapp",
    )


async def wait_for_reauth_flow(hass: HomeAssistant) -> ConfigFlowResult:
    """The re-authentication flow Home Assistant started for the entry."""
    await wait_until(
        lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)),
        what="a re-authentication flow",
    )
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"
    return flow


async def newest_account(addon: Addon) -> AccountCalls:
    """The account the add-on created last."""
    return addon.account((await addon.accounts())[-1]["id"])


async def link_another_number(
    hass: HomeAssistant, addon: Addon, phone: str
) -> ConfigEntry:
    """Add WhatsApp again, accept "link another number" and scan with `phone`."""
    result = await start_user_flow(hass, addon)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "link_another"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    account = await newest_account(addon)
    result = await pair_by_qr(hass, result, lambda: account.scan(phone))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == phone
    entry: ConfigEntry = result["result"]
    assert entry.unique_id == jid_of(phone)
    assert entry.data == {
        CONF_URL: addon.url,
        CONF_API_KEY: addon.api_key,
        CONF_ACCOUNT: account.prefix.rsplit("/", 1)[-1],
    }
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def set_up_numbers(
    hass: HomeAssistant, addon: Addon, count: int
) -> list[ConfigEntry]:
    """The default number linked by QR code, then `count - 1` more by "link another"."""
    result = await start_user_flow(hass, addon)
    result = await pair_by_qr(hass, result, lambda: addon.scan(PHONES[0]))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entries = [result["result"]]
    entries += [
        await link_another_number(hass, addon, phone) for phone in PHONES[1:count]
    ]
    return entries


def account_of(addon: Addon, entry: ConfigEntry) -> AccountCalls:
    """The add-on account an entry is for."""
    account = entry.data[CONF_ACCOUNT]
    return addon if account == "default" else addon.account(account)
