"""Several numbers: removing an entry offers, in a repair, to unlink its number in the add-on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component

from custom_components.whatsapp_bridge.const import CONF_ACCOUNT, DOMAIN

from .addon_fixtures import mock_entry
from .addon_server import DEFAULT_PHONE
from .flows import PHONES, account_of, jid_of, set_up_numbers

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from .addon_server import Addon


async def remove_and_fix(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: ConfigEntry
) -> dict[str, Any]:
    """Remove the entry, then accept the repair that offers to unlink its number."""
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    issue_id = f"unlink_account_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {"phone": entry.title}

    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    assert flow["description_placeholders"]["phone"] == entry.title
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}")
    answer: dict[str, Any] = await response.json()
    if answer["type"] == "create_entry":
        assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    return answer


async def test_removing_an_entry_offers_to_delete_its_account(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, addon: Addon
) -> None:
    """Remove the entry, accept the repair: the add-on forgets the number's data."""
    entries = await set_up_numbers(hass, addon, 2)
    office = account_of(addon, entries[1])
    account_dir = addon.data_dir / "accounts" / entries[1].data[CONF_ACCOUNT]
    assert account_dir.is_dir()

    answer = await remove_and_fix(hass, hass_client, entries[1])

    assert answer["type"] == "create_entry"
    assert [account["id"] for account in await addon.accounts()] == ["default"]
    assert not account_dir.exists()
    await office.request("GET", f"{office.prefix}/session", expect=404)
    # The other number is untouched.
    assert entries[0].state is ConfigEntryState.LOADED
    assert (await addon.session())["me"]["phone"] == PHONES[0]


async def test_removing_the_default_number_unlinks_it(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    linked_addon: Addon,
) -> None:
    """The default account always exists: the repair logs it out instead."""
    answer = await remove_and_fix(hass, hass_client, loaded_entry)

    assert answer["type"] == "create_entry"
    assert (await linked_addon.session())["me"] is None


async def test_unlink_repair_waits_for_the_addon(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    linked_addon: Addon,
) -> None:
    """With the add-on away, the repair says so and can be retried."""
    await hass.config_entries.async_unload(loaded_entry.entry_id)
    await linked_addon.async_stop()

    answer = await remove_and_fix(hass, hass_client, loaded_entry)

    assert answer["type"] == "form"
    assert answer["errors"] == {"base": "cannot_connect"}
    await linked_addon.async_start()
    client = await hass_client()
    response = await client.post(f"/api/repairs/issues/fix/{answer['flow_id']}")
    assert (await response.json())["type"] == "create_entry"
    assert (await linked_addon.session())["me"] is None


async def test_unlink_repair_when_the_account_is_gone_or_the_key_changed(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, linked_addon: Addon
) -> None:
    """Already deleted counts as done; a key the add-on no longer takes is explained."""
    assert await async_setup_component(hass, DOMAIN, {})
    await linked_addon.create_account("office")
    gone = mock_entry(linked_addon, jid_of(PHONES[1]), account="office")
    gone.add_to_hass(hass)
    await linked_addon.request("DELETE", "/v1/accounts/office")
    assert (await remove_and_fix(hass, hass_client, gone))["type"] == "create_entry"

    outdated = mock_entry(linked_addon)
    outdated.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        outdated, data={**outdated.data, CONF_API_KEY: "outdated"}
    )
    answer = await remove_and_fix(hass, hass_client, outdated)
    assert answer["type"] == "form"
    assert answer["errors"] == {"base": "invalid_auth"}
    # The number stays linked: nothing was done with the wrong key.
    assert (await linked_addon.session())["me"]["phone"] == DEFAULT_PHONE
