"""Config flow: re-authentication and reconfiguration of an entry, against the real add-on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.whatsapp_bridge.const import DOMAIN

from .addon_fixtures import mock_entry
from .addon_server import DEFAULT_PHONE
from .flows import OTHER_PHONE, pair_by_qr, wait_for_reauth_flow

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from .addon_server import Addon


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
