"""`accept_from`: who can set off automations by writing to the account."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.whatsapp_bridge.const import (
    EVENT_COMMAND,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_SENT,
)

from .conftest import mock_entry
from .helpers import wait_until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from .conftest import Addon

ALICE = "+4917612345678"
ALICE_JID = "4917612345678@s.whatsapp.net"
BOB = "+447700900123"
FAMILY = "120363000000000001@g.us"
MESSAGE_EVENT = "event.whatsapp_message"
QUIET_SECONDS = 1.0


async def set_accept_from(
    hass: HomeAssistant, entry: MockConfigEntry, accept_from: str
) -> None:
    """Choose in the options flow, as a user does."""
    flow = await hass.config_entries.options.async_init(entry.entry_id)
    assert flow["type"] is FlowResultType.FORM
    schema = flow["data_schema"].schema
    assert schema["accept_from"].config["options"] == ["everyone", "recipients"]
    result = await hass.config_entries.options.async_configure(
        flow["flow_id"], {"media_folder": "whatsapp", "accept_from": accept_from}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["accept_from"] == accept_from


async def test_only_recipients_trigger_when_so_chosen(
    hass: HomeAssistant, shared_addon: Addon
) -> None:
    """Events, commands and the event entity react to Alice; Bob is only journalled."""
    entry = mock_entry(
        shared_addon,
        subentries=[
            ConfigSubentryData(
                data={"recipient": ALICE},
                subentry_type="recipient",
                title="Alice",
                unique_id=ALICE_JID,
            )
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await set_accept_from(hass, entry, "recipients")
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    commands = async_capture_events(hass, EVENT_COMMAND)
    sent = async_capture_events(hass, EVENT_MESSAGE_SENT)
    before = (await shared_addon.request("GET", "/v1/events?after=0&limit=1000"))[
        "last_seq"
    ]

    bob_id = await shared_addon.incoming(**{"from": BOB, "text": "/garage open"})
    group_id = await shared_addon.incoming(
        **{"from": ALICE, "chat": FAMILY, "text": "/garage open"}
    )
    await shared_addon.incoming(from_me=True, text="/note from the owner")
    alice_id = await shared_addon.incoming(text="/garage open")

    await wait_until(lambda: received and commands, what="Alice's message")
    await asyncio.sleep(QUIET_SECONDS)
    assert [event.data["id"] for event in received] == [alice_id]
    assert [event.data["id"] for event in commands if not event.data["from_me"]] == [
        alice_id
    ]
    # The owner's own messages always count.
    assert len(sent) == 1
    assert hass.states.get(MESSAGE_EVENT).attributes["id"] == alice_id
    journal = await shared_addon.request("GET", f"/v1/events?after={before}&limit=1000")
    journalled = {event["data"].get("id") for event in journal["events"]}
    assert {bob_id, group_id, alice_id} <= journalled


async def test_everyone_triggers_by_default(
    hass: HomeAssistant, shared_entry: MockConfigEntry, shared_addon: Addon
) -> None:
    """Without the option anyone who can write to the number sets off events."""
    assert "accept_from" not in shared_entry.options
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)

    bob_id = await shared_addon.incoming(**{"from": BOB, "text": "hello"})

    await wait_until(lambda: received, what="Bob's message")
    assert received[0].data["id"] == bob_id
    assert received[0].data["assist"] is False
    assert hass.states.get(MESSAGE_EVENT).attributes["id"] == bob_id


async def test_choosing_everyone_again_lets_everyone_trigger(
    hass: HomeAssistant, shared_entry: MockConfigEntry, shared_addon: Addon
) -> None:
    """The option takes effect for the next message, without a reload."""
    await set_accept_from(hass, shared_entry, "recipients")
    await set_accept_from(hass, shared_entry, "everyone")
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)

    await shared_addon.incoming(**{"from": BOB, "text": "hello again"})

    await wait_until(lambda: received, what="Bob's message")
