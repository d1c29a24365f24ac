"""Several numbers: the Supervisor's discovery, re-authentication and reconfiguration
each keep an entry with its own add-on account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import SOURCE_HASSIO, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.whatsapp_bridge.const import CONF_ACCOUNT, DOMAIN

from .addon_fixtures import mock_entry
from .flows import PHONES, discovery, jid_of, newest_account, pair_by_qr
from .helpers import wait_until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from .addon_server import Addon


async def test_discovery_offers_the_next_number(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """The Supervisor's announcement sets up a linked number that has no entry."""
    mock_entry(linked_addon).add_to_hass(hass)
    office = await linked_addon.create_account("office")
    await office.link(PHONES[1])

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery(linked_addon)
    )
    assert result["step_id"] == "hassio_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == jid_of(PHONES[1])
    assert result["data"][CONF_ACCOUNT] == "office"


async def test_discovery_links_another_number(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """With every number set up, the announcement links a new one in one dialog."""
    mock_entry(linked_addon).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery(linked_addon)
    )
    assert result["step_id"] == "link_another"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    account = await newest_account(linked_addon)
    result = await pair_by_qr(hass, result, lambda: account.scan(PHONES[1]))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == jid_of(PHONES[1])
    assert result["data"][CONF_URL] == f"http://127.0.0.1:{linked_addon.port}"


async def test_discovery_hands_a_new_key_to_every_number(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """The add-on restarted with a new key: the Supervisor's announcement fixes the entry."""
    await linked_addon.async_stop()
    linked_addon.api_key = "a-new-key-after-the-restart"
    await linked_addon.async_start()

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery(linked_addon)
    )
    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done()

    assert loaded_entry.data[CONF_API_KEY] == "a-new-key-after-the-restart"
    assert loaded_entry.data[CONF_URL] == f"http://127.0.0.1:{linked_addon.port}"
    await wait_until(
        lambda: loaded_entry.state is ConfigEntryState.LOADED,
        what="the entry to load again with the new key",
    )


async def test_number_deleted_in_the_addon_is_linked_again_by_reauth(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """Its account was deleted in the add-on: re-authentication creates and links it."""
    office = await linked_addon.create_account("office")
    await office.link(PHONES[1])
    entry = mock_entry(linked_addon, jid_of(PHONES[1]), account="office")
    entry.add_to_hass(hass)
    await linked_addon.request("DELETE", "/v1/accounts/office")

    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    assert result["step_id"] == "reauth_confirm"

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert [account["id"] for account in await linked_addon.accounts()] == [
        "default",
        "office",
    ]
    result = await pair_by_qr(hass, result, lambda: office.scan(PHONES[1]))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_ACCOUNT] == "office"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.addon_env(WA_MAX_ACCOUNTS="2")
async def test_deleted_number_cannot_come_back_past_the_limit(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """Re-authentication cannot create the account again when the add-on is full."""
    entry = mock_entry(linked_addon, jid_of(PHONES[1]), account="office")
    entry.add_to_hass(hass)
    await linked_addon.create_account("office")
    await linked_addon.request("DELETE", "/v1/accounts/office")
    await linked_addon.create_account("holiday-flat")

    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "too_many_accounts"
    assert result["description_placeholders"] == {"count": "2"}


async def test_reconfigure_keeps_the_account(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """The add-on moved; the entry follows it and stays with its own number."""
    office = await linked_addon.create_account("office")
    await office.link(PHONES[1])
    entry = mock_entry(linked_addon, jid_of(PHONES[1]), account="office")
    entry.add_to_hass(hass)
    await linked_addon.async_move()

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: linked_addon.url, CONF_API_KEY: linked_addon.api_key},
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {
        CONF_URL: linked_addon.url,
        CONF_API_KEY: linked_addon.api_key,
        CONF_ACCOUNT: "office",
    }
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_to_an_addon_without_the_number(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """Pointing the entry at an add-on that lacks its account is refused."""
    entry = mock_entry(linked_addon, jid_of(PHONES[1]), account="office")
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: linked_addon.url, CONF_API_KEY: linked_addon.api_key},
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "account_not_found"}
    hass.config_entries.flow.async_abort(result["flow_id"])
