"""Several WhatsApp numbers on one add-on: one config entry per add-on account.

Every number is linked through the real config flow ("link another number")
with a phone of its own on the simulated network, and each entry must see and
send only its own number's messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.notify import DOMAIN as NOTIFY_DOMAIN
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.whatsapp_bridge.const import (
    CONF_ACCOUNT,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
)

from .addon_fixtures import mock_entry
from .flows import (
    PHONES,
    account_of,
    finish_pairing,
    jid_of,
    newest_account,
    pair_by_qr,
    set_up_numbers,
    start_user_flow,
)
from .helpers import FlowProgress, wait_until

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .addon_server import Addon

CONTACT = "+4917612345678"


async def send(hass: HomeAssistant, entry: ConfigEntry, text: str) -> dict[str, Any]:
    """Send a text to the contact from the number of `entry`."""
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"config_entry_id": entry.entry_id, "target": [CONTACT], "message": text},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return response


@pytest.mark.addon_env(WA_MAX_ACCOUNTS="3")
async def test_three_numbers_each_see_and_send_their_own(
    hass: HomeAssistant, addon: Addon
) -> None:
    """Three numbers on one add-on, each an entry that hears and speaks for itself."""
    entries = await set_up_numbers(hass, addon, 3)
    assert [entry.title for entry in entries] == PHONES
    assert len({entry.data[CONF_ACCOUNT] for entry in entries}) == 3
    accounts = await addon.accounts()
    assert [account["me"]["phone"] for account in accounts] == PHONES

    # Messages to each number fire events for that number's entry only.
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    sent_ids = {
        entry.entry_id: await account_of(addon, entry).incoming(
            text=f"to {entry.title}"
        )
        for entry in entries
    }
    await wait_until(lambda: len(received) >= 3, what="a message for each number")
    await hass.async_block_till_done()
    assert len(received) == 3
    assert {event.data["entry_id"]: event.data["id"] for event in received} == sent_ids
    for event in received:
        entry = hass.config_entries.async_get_entry(event.data["entry_id"])
        assert entry is not None
        assert event.data["text"] == f"to {entry.title}"

    # A send from each entry goes out from its own number only.
    for entry in entries:
        await send(hass, entry, f"from {entry.title}")
    for entry in entries:
        outbox = await account_of(addon, entry).outbox()
        assert [message["text"] for message in outbox] == [f"from {entry.title}"]

    # Actions must name the number; the legacy notify service exists per number.
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "send_message",
            {"target": [CONTACT], "message": "which number?"},
            blocking=True,
        )
    assert caught.value.translation_key == "several_entries"
    assert ", ".join(PHONES) in str(caught.value)
    for phone in PHONES:
        assert hass.services.has_service(NOTIFY_DOMAIN, f"whatsapp_bridge_{phone[1:]}")

    # Every number is set up: the next one is offered a new account.
    result = await start_user_flow(hass, addon)
    assert result["step_id"] == "link_another"
    assert result["description_placeholders"]["count"] == "3"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "too_many_accounts"
    assert result["description_placeholders"] == {"count": "3"}
    assert len(await addon.accounts()) == 3


async def test_account_without_entry_is_offered_first(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """A number linked in the add-on (its web page, say) is set up, not a new one."""
    mock_entry(linked_addon).add_to_hass(hass)
    office = await linked_addon.create_account("office")
    await office.link(PHONES[1])

    result = await start_user_flow(hass, linked_addon)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == PHONES[1]
    assert result["data"][CONF_ACCOUNT] == "office"
    assert [account["id"] for account in await linked_addon.accounts()] == [
        "default",
        "office",
    ]


async def test_account_still_pairing_is_linked_in_the_dialog(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """An account left pairing (a flow given up, say) is linked, not another made."""
    mock_entry(linked_addon).add_to_hass(hass)
    office = await linked_addon.create_account("office")

    result = await start_user_flow(hass, linked_addon)
    assert result["type"] is FlowResultType.MENU
    result = await pair_by_qr(hass, result, lambda: office.scan(PHONES[1]))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == jid_of(PHONES[1])
    assert result["data"][CONF_ACCOUNT] == "office"
    assert len(await linked_addon.accounts()) == 2


async def test_link_another_by_pairing_code(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """The new number can be linked by typing a code instead of scanning."""
    mock_entry(linked_addon).add_to_hass(hass)
    result = await start_user_flow(hass, linked_addon)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "pair_code"}
    )
    progress = FlowProgress(hass, result["flow_id"])
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"phone_number": PHONES[1]}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    account = await newest_account(linked_addon)
    code = (await account.session())["pairing_code"]
    assert result["description_placeholders"] == {"code": f"{code[:4]}-{code[4:]}"}
    # The default number shows no code: the new account is the one pairing.
    assert (await linked_addon.session())["pairing_code"] is None

    await account.scan(PHONES[1])
    result = await finish_pairing(progress)
    progress.close()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == jid_of(PHONES[1])


async def test_link_another_needs_the_addon(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """The add-on went away before the user agreed: the dialog says so."""
    mock_entry(linked_addon).add_to_hass(hass)
    result = await start_user_flow(hass, linked_addon)
    assert result["step_id"] == "link_another"
    await linked_addon.async_stop()

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"
