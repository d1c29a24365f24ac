"""The actions, from Home Assistant through the real add-on to WhatsApp's outbox."""

from __future__ import annotations

import asyncio
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whatsapp_bridge.api import WhatsAppClient, WhatsAppError
from custom_components.whatsapp_bridge.const import DOMAIN
from custom_components.whatsapp_bridge.messaging import translate_error

from .helpers import wait_until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .conftest import Addon, Outbox

PHONE = "+4917612345678"
PHONE_JID = "4917612345678@s.whatsapp.net"
FAMILY = "120363000000000001@g.us"
NEIGHBOURS = "120363000000000002@g.us"
NOT_ON_WHATSAPP = "+4915100000000"

ACTIONS = {
    "send_message",
    "send_location",
    "send_poll",
    "send_reaction",
    "edit_message",
    "delete_message",
    "mark_read",
    "set_presence",
    "get_groups",
    "check_number",
    "download_media",
    "ask",
}

# Actions that only answer, and must be asked for their answer.
ANSWERING_ACTIONS = {"get_groups", "check_number"}


async def call(
    hass: HomeAssistant, action: str, data: dict[str, Any], *, response: bool = False
) -> Any:
    """Call a WhatsApp action the way an automation does."""
    return await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=response
    )


async def test_actions_exist_before_any_account(hass: HomeAssistant) -> None:
    """Automations using the actions validate even before an account is set up."""
    assert await async_setup_component(hass, DOMAIN, {})

    assert set(hass.services.async_services_for_domain(DOMAIN)) == ACTIONS
    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, "send_message", {"target": PHONE, "message": "Hi"})
    assert caught.value.translation_key == "no_entry"
    assert "No WhatsApp account is set up" in str(caught.value)


async def test_send_message_to_people_and_groups(
    hass: HomeAssistant,
    shared_addon: Addon,
    shared_entry: MockConfigEntry,
    outbox: Outbox,
) -> None:
    """One message per target, in order, replying and mentioning as asked."""
    question = await shared_addon.incoming(chat=FAMILY, text="When do we eat?")
    response = await call(
        hass,
        "send_message",
        {
            "target": [PHONE, FAMILY],
            "message": "Dinner is ready",
            "reply_to": question,
            "mentions": [PHONE],
        },
        response=True,
    )

    messages = await outbox.messages()
    assert response == {
        "messages": [
            {"target": PHONE, "id": messages[0]["id"]},
            {"target": FAMILY, "id": messages[1]["id"]},
        ]
    }
    assert [(m["to"], m["type"], m["text"]) for m in messages] == [
        (PHONE_JID, "text", "Dinner is ready"),
        (FAMILY, "text", "Dinner is ready"),
    ]
    assert all(m["reply_to"] == question for m in messages)
    assert all(m["mentions"] == [PHONE_JID] for m in messages)


async def test_send_message_without_asking_for_the_ids(
    hass: HomeAssistant, shared_entry: MockConfigEntry, outbox: Outbox
) -> None:
    """A single target may be given as a string; the response is optional."""
    assert await call(hass, "send_message", {"target": PHONE, "message": "Hi"}) is None

    assert [m["text"] for m in await outbox.messages()] == ["Hi"]


async def test_send_location(
    hass: HomeAssistant, shared_entry: MockConfigEntry, outbox: Outbox
) -> None:
    """A pin with its name and address."""
    response = await call(
        hass,
        "send_location",
        {
            "target": [FAMILY],
            "latitude": 52.520008,
            "longitude": 13.404954,
            "name": "Home",
            "address": "Alexanderplatz 1, Berlin",
        },
        response=True,
    )

    (message,) = await outbox.messages()
    assert response == {"messages": [{"target": FAMILY, "id": message["id"]}]}
    assert message["type"] == "location"
    assert (message["latitude"], message["longitude"]) == (52.520008, 13.404954)
    assert (message["name"], message["address"]) == ("Home", "Alexanderplatz 1, Berlin")


async def test_send_poll(
    hass: HomeAssistant, shared_entry: MockConfigEntry, outbox: Outbox
) -> None:
    """A poll to each target; single choice unless asked otherwise."""
    response = await call(
        hass,
        "send_poll",
        {
            "target": [FAMILY, NEIGHBOURS],
            "question": "Pizza or pasta?",
            "options": ["Pizza", "Pasta"],
        },
        response=True,
    )
    await call(
        hass,
        "send_poll",
        {
            "target": PHONE,
            "question": "Which days?",
            "options": ["Sat", "Sun"],
            "multiple": True,
        },
    )

    first, second, third = await outbox.messages()
    assert [entry["id"] for entry in response["messages"]] == [
        first["id"],
        second["id"],
    ]
    assert (first["type"], first["question"], first["options"]) == (
        "poll",
        "Pizza or pasta?",
        ["Pizza", "Pasta"],
    )
    assert first["multiple"] is False
    assert second["to"] == NEIGHBOURS
    assert third["multiple"] is True


async def test_react_edit_delete_read_and_presence(
    hass: HomeAssistant,
    shared_addon: Addon,
    shared_entry: MockConfigEntry,
    outbox: Outbox,
) -> None:
    """Everything that changes a chat rather than adding a message to it."""
    question = await shared_addon.incoming(text="Are you home?")
    response = await call(
        hass, "send_message", {"target": PHONE, "message": "Hallo"}, response=True
    )
    sent_id = response["messages"][0]["id"]

    await call(
        hass, "send_reaction", {"chat": PHONE, "message_id": sent_id, "emoji": "👍"}
    )
    await call(hass, "send_reaction", {"chat": PHONE, "message_id": sent_id})
    await call(
        hass,
        "edit_message",
        {"chat": PHONE, "message_id": sent_id, "message": "Hello"},
    )
    await call(hass, "delete_message", {"chat": PHONE, "message_id": sent_id})
    await call(hass, "mark_read", {"chat": PHONE})
    # Nothing arrived unread since: nothing to tell WhatsApp.
    await call(hass, "mark_read", {"chat": PHONE})
    await call(hass, "mark_read", {"chat": PHONE, "message_ids": ["3EB0A", "3EB0B"]})
    await call(hass, "set_presence", {"chat": FAMILY, "state": "recording"})

    _, like, unlike, edit, delete, read_latest, read, presence = await outbox.messages()
    assert (like["type"], like["message_id"], like["emoji"]) == (
        "reaction",
        sent_id,
        "👍",
    )
    assert unlike["emoji"] == ""
    assert (edit["type"], edit["message_id"], edit["text"]) == (
        "edit",
        sent_id,
        "Hello",
    )
    assert (delete["type"], delete["message_id"]) == ("delete", sent_id)
    assert (read_latest["type"], read_latest["message_ids"]) == ("read", [question])
    assert read["message_ids"] == ["3EB0A", "3EB0B"]
    assert (presence["type"], presence["to"], presence["state"]) == (
        "presence",
        FAMILY,
        "recording",
    )


async def test_get_groups_and_check_number(
    hass: HomeAssistant, shared_entry: MockConfigEntry, outbox: Outbox
) -> None:
    """Both only answer; nothing reaches WhatsApp's chats."""
    groups = await call(hass, "get_groups", {}, response=True)
    on_whatsapp = await call(
        hass, "check_number", {"phone": "+49 176 1234 5678"}, response=True
    )
    not_on_whatsapp = await call(
        hass, "check_number", {"phone": NOT_ON_WHATSAPP}, response=True
    )

    assert {"jid": FAMILY, "subject": "Family", "participants": 4} in groups["groups"]
    assert {"jid": NEIGHBOURS, "subject": "Neighbours", "participants": 12} in groups[
        "groups"
    ]
    assert all(
        set(group) == {"jid", "subject", "participants"} for group in groups["groups"]
    )
    assert on_whatsapp == {"phone": PHONE, "exists": True, "jid": PHONE_JID}
    assert not_on_whatsapp == {"phone": NOT_ON_WHATSAPP, "exists": False, "jid": None}
    assert await outbox.messages() == []


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


PACED = {
    "WA_SEND_RATE_PER_MINUTE": "60",
    "WA_SEND_BURST": "1",
    "WA_SEND_JITTER_MEAN_MS": "0",
    "WA_SEND_JITTER_SIGMA_MS": "0",
    "WA_SEND_QUEUE_LIMIT": "1",
}


@pytest.mark.addon_env(**PACED)
async def test_sends_leave_at_the_pace_set_in_the_add_on(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """At 60 a minute with no burst, messages leave a second apart, not faster."""
    targets = [PHONE, FAMILY, NEIGHBOURS]
    # The first message to each chat also sets up its encryption (a group of twelve
    # takes a while), which would blur when the contacts see the measured ones.
    await call(hass, "send_message", {"target": targets, "message": "Hello"})
    await call(hass, "send_message", {"target": targets, "message": "Hi"})

    sent_at = [
        datetime.fromisoformat(message["sent_at"])
        for message in await linked_addon.outbox()
        if message["text"] == "Hi"
    ]
    gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(sent_at)]
    assert len(gaps) == 2
    assert all(0.95 <= gap < 2 for gap in gaps), gaps


@pytest.mark.addon_env(**PACED)
async def test_a_full_queue_is_reported(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """Beyond the queue limit the add-on refuses rather than piling up sends."""
    first = hass.async_create_task(
        call(hass, "send_message", {"target": PHONE, "message": "1"})
    )
    await wait_until(first.done, what="the first send")
    waiting = hass.async_create_task(
        call(hass, "send_message", {"target": PHONE, "message": "2"})
    )
    # The second send waits a second for its turn, holding the queue's only place.
    await asyncio.sleep(0.3)

    with pytest.raises(HomeAssistantError) as caught:
        await call(hass, "send_message", {"target": PHONE, "message": "3"})

    assert caught.value.translation_key == "queue_full"
    assert "Too many messages are waiting to be sent" in str(caught.value)
    await waiting
    assert [m["text"] for m in await linked_addon.outbox()] == ["1", "2"]


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
