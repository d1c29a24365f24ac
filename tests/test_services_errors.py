"""The actions refused or failing: what the user is told, and that nothing is sent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whatsapp_bridge.api import WhatsAppClient, WhatsAppError
from custom_components.whatsapp_bridge.const import DOMAIN
from custom_components.whatsapp_bridge.messaging import translate_error

from .actions import call
from .chats import FAMILY, NOT_ON_WHATSAPP, PHONE

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .addon_server import Addon, Outbox

# Actions that only answer, and must be asked for their answer.
ANSWERING_ACTIONS = {"get_groups", "check_number"}


BAD_CALLS = [
    pytest.param(
        "send_message",
        {"target": ["12"], "message": "Hi"},
        ("invalid_phone_number", "This is not a usable phone number"),
        id="malformed number",
    ),
    pytest.param(
        "send_message",
        {"target": [PHONE, NOT_ON_WHATSAPP], "message": "Hi"},
        ("not_on_whatsapp", f"{NOT_ON_WHATSAPP} does not use WhatsApp"),
        id="one target not on WhatsApp",
    ),
    pytest.param(
        "send_message",
        {"target": [PHONE, "nobody@example.com"], "message": "Hi"},
        ("invalid_target", "nobody@example.com is not a usable recipient"),
        id="malformed jid",
    ),
    pytest.param(
        "send_message",
        {"target": [PHONE], "message": "  "},
        ("empty_message", "There is nothing to send"),
        id="blank message",
    ),
    pytest.param(
        "send_message",
        {"target": [PHONE]},
        ("empty_message", "There is nothing to send"),
        id="no message",
    ),
    pytest.param(
        "send_message",
        {"target": [PHONE], "message": "Hi", "mentions": ["not a number"]},
        ("invalid_phone_number", "This is not a usable phone number"),
        id="malformed mention",
    ),
    pytest.param(
        "send_poll",
        {"target": [PHONE], "question": "Yes?", "options": ["Yes"]},
        ("poll_options", "A poll needs 2 to 12 different, non-empty options"),
        id="poll with one option",
    ),
    pytest.param(
        "send_poll",
        {"target": [PHONE], "question": "Yes?", "options": ["Yes", " Yes "]},
        ("poll_options", "A poll needs 2 to 12 different, non-empty options"),
        id="poll with the same option twice",
    ),
    pytest.param(
        "edit_message",
        {"chat": PHONE, "message_id": "3EB0NOTMINE", "message": "Hi"},
        ("message_not_found", "Message 3EB0NOTMINE is not one this account sent"),
        id="edit of a message not sent",
    ),
    pytest.param(
        "delete_message",
        {"chat": PHONE, "message_id": "3EB0NOTMINE"},
        ("message_not_found", "Only your own messages can be edited or deleted"),
        id="delete of a message not sent",
    ),
    pytest.param(
        "send_reaction",
        {"chat": "+0", "message_id": "3EB0A", "emoji": "👍"},
        ("invalid_phone_number", "This is not a usable phone number"),
        id="reaction in a malformed chat",
    ),
    pytest.param(
        "check_number",
        {"phone": "12"},
        ("invalid_phone_number", "This is not a usable phone number"),
        id="check of a malformed number",
    ),
    pytest.param(
        "mark_read",
        {"chat": "not-a-chat@"},
        ("invalid_recipient", "This is not a usable recipient: "),
        id="read receipt in a malformed chat",
    ),
    pytest.param(
        "set_presence",
        {"chat": "12", "state": "composing"},
        ("invalid_phone_number", "This is not a usable phone number"),
        id="presence in a malformed chat",
    ),
    pytest.param(
        "send_message",
        {"target": [PHONE], "message": "x" * 70_000},
        ("invalid_request", "The WhatsApp app in Home Assistant refused the request"),
        id="text longer than WhatsApp takes",
    ),
]


@pytest.mark.usefixtures("shared_entry")
@pytest.mark.parametrize(("action", "data", "expected"), BAD_CALLS)
async def test_bad_input_is_refused_and_nothing_is_sent(
    hass: HomeAssistant,
    outbox: Outbox,
    action: str,
    data: dict[str, Any],
    expected: tuple[str, str],
) -> None:
    """The user learns what to fix, in their language; WhatsApp gets nothing."""
    key, english = expected
    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, action, data, response=action in ANSWERING_ACTIONS)

    assert caught.value.translation_domain == DOMAIN
    assert caught.value.translation_key == key
    assert english in str(caught.value)
    assert "{" not in str(caught.value)
    assert await outbox.messages() == []


async def test_several_accounts_need_to_be_told_apart(
    hass: HomeAssistant, shared_entry: MockConfigEntry, outbox: Outbox
) -> None:
    """With two accounts the action must name one; with the name it works."""
    other = MockConfigEntry(
        domain=DOMAIN, title="+15550000002", unique_id="15550000002@s.whatsapp.net"
    )
    other.add_to_hass(hass)

    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, "send_message", {"target": PHONE, "message": "Hi"})
    assert caught.value.translation_key == "several_entries"
    assert "+15550000001, +15550000002" in str(caught.value)

    await call(
        hass,
        "send_message",
        {"config_entry_id": shared_entry.entry_id, "target": PHONE, "message": "Hi"},
    )
    assert len(await outbox.messages()) == 1

    # The caller chose an account that is not set up: theirs to fix.
    with pytest.raises(ServiceValidationError) as not_loaded:
        await call(
            hass, "get_groups", {"config_entry_id": other.entry_id}, response=True
        )
    assert not_loaded.value.translation_key == "entry_not_loaded"
    assert "The WhatsApp account +15550000002 is not ready" in str(not_loaded.value)


async def test_unknown_account_is_refused(
    hass: HomeAssistant, shared_entry: MockConfigEntry
) -> None:
    """An id that is not a WhatsApp entry is named in the error."""
    foreign = MockConfigEntry(domain="other")
    foreign.add_to_hass(hass)

    for entry_id in ("no-such-entry", foreign.entry_id):
        with pytest.raises(ServiceValidationError) as caught:
            await call(hass, "get_groups", {"config_entry_id": entry_id}, response=True)
        assert caught.value.translation_key == "entry_not_found"
        assert f"{entry_id} is not a WhatsApp account" in str(caught.value)


async def test_whatsapp_and_add_on_trouble_say_what_to_do(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """Not connected, then the add-on gone: errors that are not the user's fault."""
    await linked_addon.disconnect("loggedOut")
    await linked_addon.wait_for_state("logged_out")

    with pytest.raises(HomeAssistantError) as not_connected:
        await call(hass, "send_message", {"target": FAMILY, "message": "Hi"})
    assert not isinstance(not_connected.value, ServiceValidationError)
    assert not_connected.value.translation_key == "not_connected"
    assert "WhatsApp is not connected, so nothing was sent" in str(not_connected.value)
    assert await recipient_flow(hass, loaded_entry, "person") == "not_connected"

    await linked_addon.async_stop()
    assert loaded_entry.state is ConfigEntryState.LOADED
    with pytest.raises(HomeAssistantError) as unreachable:
        await call(hass, "check_number", {"phone": PHONE}, response=True)
    assert unreachable.value.translation_key == "addon_unreachable"
    assert "Check that the WhatsApp app in Home Assistant is running" in str(
        unreachable.value
    )
    assert await recipient_flow(hass, loaded_entry, "group") == "cannot_connect"


async def recipient_flow(
    hass: HomeAssistant, entry: MockConfigEntry, kind: str
) -> str | None:
    """Try to add a person or group; return why the flow aborted, if it did."""
    flow = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "recipient"), context={"source": "user"}
    )
    flow = await hass.config_entries.subentries.async_configure(
        flow["flow_id"], {"next_step_id": kind}
    )
    if kind == "person":
        flow = await hass.config_entries.subentries.async_configure(
            flow["flow_id"], {"name": "Anna", "phone_number": PHONE}
        )
    return flow.get("reason")


async def test_other_failures_keep_the_add_on_s_explanation(
    hass: HomeAssistant,
    shared_entry: MockConfigEntry,
    shared_addon: Addon,
    other_server: tuple[str, dict[str, Any]],
) -> None:
    """A wrong key and error codes newer than the integration still explain themselves."""
    url, answer = other_server
    answer.update(
        status=500,
        json={"error": {"code": "brand_new", "message": "Something new went wrong."}},
    )
    session = async_get_clientsession(hass)
    errors: list[WhatsAppError] = []
    for client in (
        WhatsAppClient(shared_addon.url, "wrong key", session),
        WhatsAppClient(url, "key", session),
    ):
        with pytest.raises(WhatsAppError) as caught:
            await client.groups()
        errors.append(caught.value)

    wrong_key, unknown_code = (translate_error(err) for err in errors)

    assert wrong_key.translation_key == "invalid_api_key"
    assert "rejected the API key" in str(wrong_key)
    assert unknown_code.translation_key == "addon_error"
    assert not isinstance(unknown_code, ServiceValidationError)
    assert str(unknown_code) == (
        "The WhatsApp app in Home Assistant could not do this: Something new went wrong."
    )
