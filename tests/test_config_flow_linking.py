"""Config flow: linking a number by QR code or pairing code, against the real add-on."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.whatsapp_bridge.const import CONF_ACCOUNT, CONF_PHONE_NUMBER

from .addon_server import DEFAULT_JID, DEFAULT_PHONE
from .flows import finish_pairing, open_qr_step, pair_by_qr, start_user_flow
from .helpers import FlowProgress, wait_until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .addon_server import Addon

# Few and short-lived QR codes: WhatsApp gives up on the pairing after a second.
SHORT_PAIRING = {"WA_SIMULATOR_QR_TTL_MS": "500", "WA_SIMULATOR_QR_CODES": "2"}


async def test_user_flow_links_by_qr_code(hass: HomeAssistant, addon: Addon) -> None:
    """URL and key, then the add-on's QR code; the flow finishes once scanned."""
    result = await start_user_flow(hass, addon)
    progress = FlowProgress(hass, result["flow_id"])
    result = await open_qr_step(hass, result, progress)

    shown = result["description_placeholders"]["qr_code"]
    assert shown.startswith("<ha-qr-code ")
    assert f'data="{await addon.wait_for_qr()}"' in shown

    await addon.scan()
    result = await finish_pairing(progress)
    progress.close()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == DEFAULT_PHONE
    assert result["data"] == {
        CONF_URL: addon.url,
        CONF_API_KEY: addon.api_key,
        CONF_ACCOUNT: "default",
    }
    entry = result["result"]
    assert entry.unique_id == DEFAULT_JID
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.addon_env(WA_SIMULATOR_QR_TTL_MS="1000")
async def test_rotated_qr_code_replaces_the_shown_one(
    hass: HomeAssistant, addon: Addon
) -> None:
    """When WhatsApp rotates the QR code, the flow shows the new one by itself."""
    offered: set[str] = set()

    async def record_offered_codes() -> None:
        while True:
            if qr := (await addon.session())["qr"]:
                offered.add(f'data="{qr["code"]}"')
            await asyncio.sleep(0.02)

    recorder = asyncio.create_task(record_offered_codes())
    try:
        result = await start_user_flow(hass, addon)
        progress = FlowProgress(hass, result["flow_id"])
        result = await open_qr_step(hass, result, progress)
        first = result["description_placeholders"]["qr_code"]

        result = await progress.next_step()
        assert result["type"] is FlowResultType.SHOW_PROGRESS
        assert result["step_id"] == "pair_qr"
        second = result["description_placeholders"]["qr_code"]
        assert second != first
        await wait_until(
            lambda: any(code in second for code in offered),
            within=2,
            what="the shown QR code to be one the add-on offered",
        )
    finally:
        recorder.cancel()
        with suppress(asyncio.CancelledError):
            await recorder

    await addon.scan()
    result = await finish_pairing(progress)
    progress.close()
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.addon_env(**SHORT_PAIRING)
async def test_expired_qr_codes_are_renewed_on_request(
    hass: HomeAssistant, addon: Addon
) -> None:
    """After WhatsApp's last QR code expires, the user can ask for new ones."""
    result = await start_user_flow(hass, addon)
    progress = FlowProgress(hass, result["flow_id"])
    await open_qr_step(hass, result, progress)

    result = await finish_pairing(progress)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "qr_expired"
    assert (await addon.session())["state"] == "logged_out"

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await addon.wait_for_qr()
    await addon.scan()
    result = await finish_pairing(progress)
    progress.close()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_links_by_pairing_code(
    hass: HomeAssistant, addon: Addon
) -> None:
    """The phone-number path shows the add-on's code until the phone confirms it."""
    result = await start_user_flow(hass, addon)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "pair_code"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pair_code"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PHONE_NUMBER: "not a number"}
    )
    assert result["errors"] == {CONF_PHONE_NUMBER: "invalid_phone_number"}

    progress = FlowProgress(hass, result["flow_id"])
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PHONE_NUMBER: DEFAULT_PHONE}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["progress_action"] == "enter_code"
    code = (await addon.session())["pairing_code"]
    assert result["description_placeholders"] == {"code": f"{code[:4]}-{code[4:]}"}

    await addon.scan()
    result = await finish_pairing(progress)
    progress.close()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == DEFAULT_JID


@pytest.mark.addon_env(**SHORT_PAIRING)
async def test_expired_pairing_code_asks_again(
    hass: HomeAssistant, addon: Addon
) -> None:
    """A code nobody confirmed in time leads back to the phone number form."""
    result = await start_user_flow(hass, addon)
    await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "pair_code"}
    )
    progress = FlowProgress(hass, result["flow_id"])
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PHONE_NUMBER: DEFAULT_PHONE}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS

    result = await progress.next_step()
    progress.close()
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pair_code"
    assert result["errors"] == {"base": "pairing_code_expired"}
    hass.config_entries.flow.async_abort(result["flow_id"])


async def test_addon_lost_while_pairing_ends_the_flow(
    hass: HomeAssistant, addon: Addon
) -> None:
    """When the add-on stays away during pairing, the flow says so and stops."""
    result = await start_user_flow(hass, addon)
    result = await pair_by_qr(hass, result, addon.async_stop)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_qr_code_needs_the_addon(hass: HomeAssistant, addon: Addon) -> None:
    """Choosing the QR code while the add-on is down ends the flow with the reason."""
    result = await start_user_flow(hass, addon)
    await addon.async_stop()

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "pair_qr"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_pairing_code_needs_the_addon(hass: HomeAssistant, addon: Addon) -> None:
    """Asking for a code while the add-on is down shows cannot_connect."""
    result = await start_user_flow(hass, addon)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "pair_code"}
    )
    await addon.async_stop()

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PHONE_NUMBER: DEFAULT_PHONE}
    )

    assert result["errors"] == {"base": "cannot_connect"}
    hass.config_entries.flow.async_abort(result["flow_id"])


@pytest.mark.parametrize("choice", ["pair_qr", "pair_code"])
async def test_account_linked_meanwhile_finishes_the_flow(
    hass: HomeAssistant, addon: Addon, choice: str
) -> None:
    """The phone was linked another way while the menu was open: no second pairing."""
    result = await start_user_flow(hass, addon)
    await addon.link()

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": choice}
    )
    if choice == "pair_code":
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PHONE_NUMBER: DEFAULT_PHONE}
        )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == DEFAULT_JID
