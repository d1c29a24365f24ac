"""Messages from WhatsApp become Home Assistant events: each one, once, in order."""

from __future__ import annotations

from collections import Counter
import shutil
from typing import TYPE_CHECKING, Any

from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.whatsapp_bridge.const import (
    DOMAIN,
    EVENT_COMMAND,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_SENT,
    EVENT_MESSAGE_STATUS,
)
from custom_components.whatsapp_bridge.listener import events_lost_issue_id

from .conftest import DEFAULT_JID, DEFAULT_PHONE, Addon, mock_entry
from .helpers import wait_until

if TYPE_CHECKING:
    from homeassistant.core import Event, HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

MESSAGE_EVENT = "event.whatsapp_message"
SENDER_PHONE = "+4917612345678"
SENDER_JID = "4917612345678@s.whatsapp.net"

# What the phone sends, per kind, in the simulator's words, and what of it
# must arrive in Home Assistant.
MESSAGES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "text": ({"text": "Hello"}, {"text": "Hello"}),
    "image": (
        {"caption": "Look", "media": {"mimetype": "image/jpeg", "size": 1234}},
        {"caption": "Look", "media": {"mimetype": "image/jpeg", "size": 1234}},
    ),
    "video": (
        {"media": {"mimetype": "video/mp4", "seconds": 7}},
        {"media": {"mimetype": "video/mp4", "seconds": 7}},
    ),
    "audio": (
        {"media": {"mimetype": "audio/ogg", "seconds": 3}},
        {"media": {"mimetype": "audio/ogg", "seconds": 3}},
    ),
    "document": (
        {"media": {"mimetype": "application/pdf", "filename": "bill.pdf"}},
        {"media": {"mimetype": "application/pdf", "filename": "bill.pdf"}},
    ),
    "sticker": (
        {"media": {"mimetype": "image/webp"}},
        {"media": {"mimetype": "image/webp"}},
    ),
    "location": (
        {"location": {"latitude": 52.52, "longitude": 13.405, "name": "Home"}},
        {"location": {"latitude": 52.52, "longitude": 13.405, "name": "Home"}},
    ),
    "contact": (
        {"contact": {"name": "Alice", "phone": "+4915112345678"}},
        {"contact": {"name": "Alice", "phone": "+4915112345678"}},
    ),
    "poll": (
        {"poll": {"question": "Pizza?", "options": ["yes", "no"], "multiple": False}},
        {"poll": {"question": "Pizza?", "options": ["yes", "no"], "multiple": False}},
    ),
    "reaction": (
        {"reaction": {"message_id": "ABC", "emoji": "👍"}},
        {"reaction": {"message_id": "ABC", "emoji": "👍"}},
    ),
    "edit": (
        {"target_id": "ABC", "text": "Hello again"},
        {"target_id": "ABC", "text": "Hello again"},
    ),
    "delete": ({"target_id": "ABC"}, {"target_id": "ABC"}),
    "other": ({}, {}),
}


def contains(actual: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Whether `actual` has every field of `expected` (recursively) with its value."""
    return all(
        contains(actual.get(key) or {}, value)
        if isinstance(value, dict)
        else actual.get(key) == value
        for key, value in expected.items()
    )


@pytest.mark.parametrize("kind", list(MESSAGES))
async def test_every_kind_of_message_arrives(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon, kind: str
) -> None:
    """Each kind fires `whatsapp_bridge_message_received` and the message event entity."""
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    spec, expected = MESSAGES[kind]

    message_id = await linked_addon.incoming(kind=kind, name="Bob", **spec)

    await wait_until(lambda: received, what=f"the {kind} message")
    (event,) = received
    assert contains(event.data, expected)
    assert event.data["id"] == message_id
    assert event.data["kind"] == kind
    assert event.data["entry_id"] == loaded_entry.entry_id
    assert event.data["sender"] == SENDER_JID
    assert event.data["sender_phone"] == SENDER_PHONE
    assert event.data["sender_name"] == "Bob"
    assert event.data["from_me"] is False

    state = hass.states.get(MESSAGE_EVENT)
    assert state.attributes["event_type"] == kind
    assert contains(state.attributes, expected)
    assert state.attributes["id"] == message_id
    assert state.attributes["chat"] == SENDER_JID
    assert state.attributes["sender_phone"] == SENDER_PHONE


async def test_poll_vote_arrives(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """A vote names the poll and the chosen options."""
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    poll = {"question": "Pizza?", "options": ["yes", "no"], "multiple": False}
    poll_id = await linked_addon.incoming(kind="poll", poll=poll)

    await linked_addon.incoming(
        kind="poll_vote", poll_vote={"poll_id": poll_id, "selected": ["yes"]}
    )

    await wait_until(lambda: len(received) == 2, what="the poll and the vote")
    assert received[1].data["poll_vote"] == {"poll_id": poll_id, "selected": ["yes"]}
    assert hass.states.get(MESSAGE_EVENT).attributes["event_type"] == "poll_vote"


async def test_group_message_names_the_group(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """Group messages carry the group as chat, the person as sender."""
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    group = "120363000000000001@g.us"

    await linked_addon.incoming(
        chat=group, text="Dinner?", mentions=[DEFAULT_PHONE], quoted_id="ABC"
    )

    await wait_until(lambda: received, what="the group message")
    data = received[0].data
    assert data["chat"] == group
    assert data["chat_type"] == "group"
    assert data["sender"] == SENDER_JID
    assert data["mentions"] == [DEFAULT_JID]
    assert data["quoted_id"] == "ABC"


async def test_slash_text_is_a_command(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """`/cmd a b` fires `whatsapp_bridge_command` with the name and the arguments."""
    commands = async_capture_events(hass, EVENT_COMMAND)
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)

    message_id = await linked_addon.incoming(text="/Lights  on kitchen")
    await linked_addon.incoming(text="/ not a command")
    await linked_addon.incoming(text="a/b is no command either")
    await linked_addon.incoming(kind="image", caption="/cmd in a caption")

    await wait_until(lambda: len(received) == 4, what="all four messages")
    (command,) = commands
    assert command.data["command"] == "lights"
    assert command.data["args"] == ["on", "kitchen"]
    assert command.data["id"] == message_id
    assert command.data["text"] == "/Lights  on kitchen"
    assert command.data["entry_id"] == loaded_entry.entry_id


async def test_messages_from_the_phone_are_sent_events(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """What the account's owner writes on the phone is `whatsapp_bridge_message_sent`."""
    sent = async_capture_events(hass, EVENT_MESSAGE_SENT)
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    commands = async_capture_events(hass, EVENT_COMMAND)
    before = hass.states.get(MESSAGE_EVENT).state

    await linked_addon.incoming(from_me=True, text="/note buy milk")

    await wait_until(lambda: sent, what="the sent message")
    assert sent[0].data["from_me"] is True
    assert sent[0].data["entry_id"] == loaded_entry.entry_id
    # A note to self is how the owner gives commands.
    await wait_until(lambda: commands, what="the command")
    assert commands[0].data["command"] == "note"
    assert received == []
    assert hass.states.get(MESSAGE_EVENT).state == before


async def test_delivery_receipts_are_status_events(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """Receipts for a sent message fire `whatsapp_bridge_message_status`."""
    statuses = async_capture_events(hass, EVENT_MESSAGE_STATUS)

    sent = await linked_addon.request(
        "POST", "/v1/messages", {"to": SENDER_PHONE, "type": "text", "text": "Hi"}
    )

    await wait_until(
        lambda: [e.data["status"] for e in statuses] == ["sent", "delivered"],
        what="both receipts",
    )
    assert all(e.data["id"] == sent["id"] for e in statuses)
    assert all(e.data["chat"] == SENDER_JID for e in statuses)
    assert all(e.data["entry_id"] == loaded_entry.entry_id for e in statuses)


def count_ids(events: list[Event]) -> Counter[str]:
    """How often each message id was fired."""
    return Counter(event.data["id"] for event in events)


async def test_messages_while_unloaded_arrive_once_after_reload(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """Home Assistant away (entry unloaded): nothing is lost, nothing repeated."""
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    before = await linked_addon.incoming(text="before")
    await wait_until(lambda: received, what="the first message")

    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    while_away = {await linked_addon.incoming(text=f"away {n}") for n in range(5)}

    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await wait_until(lambda: len(received) == 6, what="the messages sent while away")
    after = await linked_addon.incoming(text="after")
    await wait_until(lambda: len(received) == 7, what="the next message")

    assert count_ids(received) == Counter({before, *while_away, after})
    assert [e.data["text"] for e in received[1:6]] == [f"away {n}" for n in range(5)]


async def test_addon_crash_mid_stream_loses_and_repeats_nothing(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """The add-on is killed and restarted twice while messages keep coming."""
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    delivered: list[str] = []

    for crash in range(2):
        delivered += [
            await linked_addon.incoming(text=f"round {crash} #{n}") for n in range(10)
        ]
        # Kill only once the add-on has journalled them: what it loses before
        # that is the add-on's durability, not this integration's delivery.
        last = delivered[-1]
        await wait_until(
            lambda last=last: journalled(linked_addon, last),
            what="the add-on to journal the round",
        )
        await linked_addon.async_kill()
        await linked_addon.async_start()
        await linked_addon.wait_for_state("connected")
    delivered += [await linked_addon.incoming(text=f"last #{n}") for n in range(5)]

    await wait_until(
        lambda: len(received) >= len(delivered), what="every message", within=20
    )
    assert count_ids(received) == Counter(delivered)


async def journalled(addon: Addon, message_id: str) -> bool:
    """Whether the add-on's journal holds the message."""
    page = await addon.request("GET", "/v1/events?after=0&limit=1000")
    return any(event["data"].get("id") == message_id for event in page["events"])


async def test_history_from_before_the_entry_is_not_replayed(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """A new entry starts with new messages, not with the add-on's whole journal."""
    old = await linked_addon.incoming(text="yesterday")
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    entry = mock_entry(linked_addon)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)

    new = await linked_addon.incoming(text="today")

    await wait_until(lambda: received, what="the new message")
    assert list(count_ids(received)) == [new]
    assert old not in count_ids(received)


@pytest.mark.addon_env(WA_JOURNAL_MAX_EVENTS="3")
async def test_events_trimmed_unread_raise_a_repair_issue(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    linked_addon: Addon,
    hass_client: ClientSessionGenerator,
) -> None:
    """The add-on kept fewer events than were missed: the user is told, once."""
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await linked_addon.incoming(text="seen")
    await wait_until(lambda: received, what="the first message")
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    for n in range(8):
        await linked_addon.incoming(text=f"missed {n}")
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)

    issue_id = events_lost_issue_id(loaded_entry.entry_id)
    registry = ir.async_get(hass)
    await wait_until(
        lambda: registry.async_get_issue(DOMAIN, issue_id) is not None,
        what="the repair issue",
    )
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue.translation_key == "events_lost"
    assert issue.translation_placeholders["count"] == "5"
    assert issue.is_fixable
    # The retained ones still arrive.
    await wait_until(lambda: len(received) == 4, what="the retained messages")
    assert [e.data["text"] for e in received[1:]] == [f"missed {n}" for n in (5, 6, 7)]

    # Missing more before the user looked adds to the same issue.
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    for n in range(4):
        await linked_addon.incoming(text=f"missed again {n}")
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await wait_until(
        lambda: (
            registry.async_get_issue(DOMAIN, issue_id).translation_placeholders["count"]
            == "6"
        ),
        what="the issue to count the new loss",
    )

    # Acknowledging the issue through its repair flow removes it.
    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    assert flow["description_placeholders"]["count"] == "6"
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}")
    assert (await response.json())["type"] == "create_entry"
    assert registry.async_get_issue(DOMAIN, issue_id) is None


async def test_wiped_addon_journal_is_read_from_its_start(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """After the add-on lost its data, its new events are not mistaken for old ones."""
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    for n in range(5):
        await linked_addon.incoming(text=f"old {n}")
    await wait_until(lambda: len(received) == 5, what="the old messages")

    await linked_addon.async_stop()
    shutil.rmtree(linked_addon.data_dir)
    await linked_addon.async_start()
    await linked_addon.link()
    new = await linked_addon.incoming(text="new")

    await wait_until(lambda: len(received) == 6, what="the message after the wipe")
    assert received[5].data["id"] == new
