"""Config flow: connecting to the add-on, by hand or through the Supervisor's
discovery, against the real add-on.

Linking a number is in test_config_flow_linking, re-authentication and
reconfiguration in test_config_flow_reauth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import SOURCE_HASSIO, SOURCE_USER
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whatsapp_bridge.const import CONF_ACCOUNT, DOMAIN

from .addon_fixtures import mock_entry
from .addon_server import DEFAULT_JID, DEFAULT_PHONE
from .flows import discovery, pair_by_qr, start_user_flow

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .addon_server import Addon


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
