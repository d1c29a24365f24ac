"""The actions that send and ask, from Home Assistant through the real add-on to WhatsApp's outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest

from custom_components.whatsapp_bridge.const import DOMAIN

from .actions import call
from .chats import FAMILY, NEIGHBOURS, NOT_ON_WHATSAPP, PHONE, PHONE_JID

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from .addon_server import Addon, Outbox

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
