"""Config flow: connecting to the add-on, linking by QR code or pairing code,
discovery, re-authentication and reconfiguration, all against the real add-on.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import TYPE_CHECKING

from homeassistant.config_entries import (
    SOURCE_HASSIO,
    SOURCE_USER,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.hassio import HassioServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whatsapp_bridge.const import (
    CONF_ACCOUNT,
    CONF_PHONE_NUMBER,
    DOMAIN,
)

from .conftest import DEFAULT_JID, DEFAULT_PHONE, Addon, mock_entry
from .helpers import FlowProgress, wait_until

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from homeassistant.core import HomeAssistant

OTHER_PHONE = "+15550000002"
# Few and short-lived QR codes: WhatsApp gives up on the pairing after a second.
SHORT_PAIRING = {"WA_SIMULATOR_QR_TTL_MS": "500", "WA_SIMULATOR_QR_CODES": "2"}


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


async def test_linked_addon_creates_the_entry_at_once(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """An add-on that is already linked needs no pairing."""
    result = await start_user_flow(hass, linked_addon)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == DEFAULT_PHONE
    assert result["result"].unique_id == DEFAULT_JID


async def test_configured_number_is_not_offered_again(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """The number has its entry, even under another address: offer another one."""
    entry = mock_entry(linked_addon)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_URL: f"http://localhost:{linked_addon.port}"}
    )

    result = await start_user_flow(hass, linked_addon)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "link_another"
    assert result["description_placeholders"] == {"addon": "WhatsApp", "count": "1"}
    # Nothing is created in the add-on before the user agrees.
    assert [account["id"] for account in await linked_addon.accounts()] == ["default"]
    hass.config_entries.flow.async_abort(result["flow_id"])


async def test_account_waiting_for_its_entry_is_not_offered_again(
    hass: HomeAssistant, addon: Addon
) -> None:
    """An entry for the add-on's account exists (say, waiting to be re-linked)."""
    mock_entry(addon).add_to_hass(hass)

    result = await start_user_flow(hass, addon)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "link_another"
    hass.config_entries.flow.async_abort(result["flow_id"])


async def test_unreachable_addon_can_be_retried(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """A stopped add-on shows cannot_connect; once it runs, the same form works."""
    await linked_addon.async_stop()

    result = await start_user_flow(hass, linked_addon)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}

    # Straight after a start the add-on does not know yet whether it is linked;
    # the flow waits for that rather than offering to link it again.
    await linked_addon.async_start()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: linked_addon.url, CONF_API_KEY: linked_addon.api_key},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_wrong_key_and_bad_url_are_explained(
    hass: HomeAssistant, addon: Addon
) -> None:
    """A rejected key and an unusable address each get their own error."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: addon.url, CONF_API_KEY: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: "ftp://", CONF_API_KEY: addon.api_key}
    )
    assert result["errors"] == {CONF_URL: "invalid_url"}

    # Without a scheme the address is taken as plain HTTP.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: f"127.0.0.1:{addon.port}/", CONF_API_KEY: addon.api_key},
    )
    assert result["type"] is FlowResultType.MENU
    hass.config_entries.flow.async_abort(result["flow_id"])


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


async def test_discovery_needs_one_click(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """The Supervisor's announcement carries address and key: only confirm."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery(linked_addon)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "hassio_confirm"
    assert result["data_schema"] is None

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_URL: f"http://127.0.0.1:{linked_addon.port}",
        CONF_API_KEY: linked_addon.api_key,
        CONF_ACCOUNT: "default",
    }


async def test_discovery_of_unlinked_addon_leads_to_pairing(
    hass: HomeAssistant, addon: Addon
) -> None:
    """A fresh add-on is confirmed, then linked; announcing it again adds nothing."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery(addon)
    )
    again = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery(addon)
    )
    assert again["type"] is FlowResultType.ABORT
    assert again["reason"] == "already_in_progress"

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await pair_by_qr(hass, result, addon.scan)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == DEFAULT_JID


async def test_discovery_updates_a_configured_account(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """A new address or key from the Supervisor reaches the existing entry.

    With every number set up, the announcement offers to link another one,
    once however often the Supervisor repeats it.
    """
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=DEFAULT_JID,
        data={
            CONF_URL: "http://old-host:8066",
            CONF_API_KEY: "old",
            CONF_ACCOUNT: "default",
        },
        minor_version=2,
    )
    entry.add_to_hass(hass)

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery(linked_addon)
    )

    assert entry.data == {
        CONF_URL: f"http://127.0.0.1:{linked_addon.port}",
        CONF_API_KEY: linked_addon.api_key,
        CONF_ACCOUNT: "default",
    }
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "link_another"
    again = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery(linked_addon)
    )
    assert again["type"] is FlowResultType.ABORT
    assert again["reason"] == "already_in_progress"
    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done()


async def test_discovery_with_rejected_key_is_dropped(
    hass: HomeAssistant, addon: Addon
) -> None:
    """An announcement Home Assistant cannot act on is not offered."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery(addon, "wrong")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_reconfigure_changes_the_address(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """The add-on moved to another port: the new address is tested, saved, loaded."""
    await linked_addon.async_move()

    result = await loaded_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: linked_addon.url, CONF_API_KEY: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: linked_addon.url, CONF_API_KEY: linked_addon.api_key},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert loaded_entry.data[CONF_URL] == linked_addon.url
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED


async def test_reconfigure_to_another_account_is_refused(
    hass: HomeAssistant, addon: Addon
) -> None:
    """An add-on linked to another phone must not take over this entry."""
    entry = mock_entry(addon)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_URL: "http://old-host:8066"}
    )
    await addon.link(OTHER_PHONE)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: addon.url, CONF_API_KEY: addon.api_key}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert result["description_placeholders"] == {
        "expected": DEFAULT_PHONE,
        "actual": OTHER_PHONE,
    }
    assert entry.data[CONF_URL] == "http://old-host:8066"
    # Someone else linked the other phone, so it stays linked.
    assert (await addon.session())["me"]["phone"] == OTHER_PHONE


async def test_reconfigure_to_an_unlinked_addon_links_it_first(
    hass: HomeAssistant, addon: Addon
) -> None:
    """A new, empty add-on is linked within the reconfiguration."""
    entry = mock_entry(addon)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_URL: "http://old-host:8066"}
    )

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: addon.url, CONF_API_KEY: addon.api_key}
    )
    result = await pair_by_qr(hass, result, addon.scan)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_URL] == addon.url
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_logged_out_account_is_linked_again_through_reauth(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """WhatsApp unlinks the device: reauth shows why, then the QR code, then reloads."""
    await linked_addon.disconnect("loggedOut")
    flow = await wait_for_reauth_flow(hass)
    assert flow["step_id"] == "reauth_confirm"

    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert "unlinked" in result["description_placeholders"]["reason"]

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await pair_by_qr(hass, result, linked_addon.scan)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED


async def test_reauth_with_another_phone_is_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """Linking the wrong phone aborts, and unlinks it again for the next try."""
    await linked_addon.disconnect("loggedOut")
    flow = await wait_for_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    result = await pair_by_qr(hass, result, lambda: linked_addon.scan(OTHER_PHONE))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert (await linked_addon.session())["me"] is None


async def test_reauth_takes_a_new_api_key(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """A key the add-on no longer accepts: setup asks for the current one."""
    entry = mock_entry(linked_addon)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_API_KEY: "outdated"}
    )
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR

    flow = await wait_for_reauth_flow(hass)
    assert flow["step_id"] == "reauth_api_key"
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_KEY: "still wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_KEY: linked_addon.api_key}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_API_KEY] == linked_addon.api_key
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def wait_for_reauth_flow(hass: HomeAssistant) -> ConfigFlowResult:
    """The re-authentication flow Home Assistant started for the entry."""
    await wait_until(
        lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)),
        what="a re-authentication flow",
    )
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"
    return flow


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


async def test_discovered_addon_gone_before_confirming(
    hass: HomeAssistant, addon: Addon
) -> None:
    """The add-on stopped between discovery and the user's click."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery(addon)
    )
    await addon.async_stop()

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_reauth_survives_an_addon_restart_with_a_new_key(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """Re-authentication copes with the add-on being away and coming back changed."""
    await linked_addon.disconnect("loggedOut")
    await wait_for_reauth_flow(hass)
    hass.config_entries.flow.async_abort(
        hass.config_entries.flow.async_progress_by_handler(DOMAIN)[0]["flow_id"]
    )
    await linked_addon.async_stop()

    result = await loaded_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["reason"] == ""

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["errors"] == {"base": "cannot_connect"}

    linked_addon.api_key = "a-new-key-after-the-restart"
    await linked_addon.async_start()
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "reauth_api_key"
    assert result["description_placeholders"]["url"] == linked_addon.url

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "a-new-key-after-the-restart"}
    )
    assert result["type"] is FlowResultType.MENU
    hass.config_entries.flow.async_abort(result["flow_id"])


@pytest.mark.parametrize("url", ["http://[::1", "ftp://host", "http://"])
async def test_reconfigure_rejects_unusable_addresses(
    hass: HomeAssistant, addon: Addon, url: str
) -> None:
    """An address that cannot work is refused before anything is tried."""
    entry = mock_entry(addon)
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: url, CONF_API_KEY: addon.api_key}
    )

    assert result["errors"] == {CONF_URL: "invalid_url"}
    hass.config_entries.flow.async_abort(result["flow_id"])
