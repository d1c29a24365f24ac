"""Talking to the home in WhatsApp: Assist answers recipients that have an agent."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import (
    async_expose_entity,
)
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import Context
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.whatsapp_bridge import assist
from custom_components.whatsapp_bridge.const import EVENT_MESSAGE_RECEIVED

from .conftest import DEFAULT_PHONE, Addon, Outbox, mock_entry
from .helpers import wait_until

if TYPE_CHECKING:
    from homeassistant.core import Event, HomeAssistant

ALICE = "+4917612345678"
ALICE_JID = "4917612345678@s.whatsapp.net"
BOB = "+447700900123"
BOB_JID = "447700900123@s.whatsapp.net"
FAMILY = "120363000000000001@g.us"
HEATING = "input_boolean.heating"
BUILT_IN_AGENT = conversation.HOME_ASSISTANT_AGENT
# How long nothing must happen before a test believes nothing will.
QUIET_SECONDS = 1.5


def recipient(
    title: str, target: str, jid: str, agent: str | None = BUILT_IN_AGENT
) -> ConfigSubentryData:
    """A recipient subentry as the recipient flow creates it."""
    data: dict[str, Any] = {"recipient": target}
    if agent:
        data["conversation_agent"] = agent
    return ConfigSubentryData(
        data=data, subentry_type="recipient", title=title, unique_id=jid
    )


@pytest.fixture
async def heating(hass: HomeAssistant) -> None:
    """The built-in agent, and a Heating switch exposed to Assist."""
    hass.config.language = "en"
    for component in ("homeassistant", "intent", "conversation"):
        assert await async_setup_component(hass, component, {})
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"heating": {"name": "Heating"}}}
    )
    async_expose_entity(hass, conversation.DOMAIN, HEATING, should_expose=True)
    await hass.async_block_till_done()


async def load(
    hass: HomeAssistant, addon: Addon, *subentries: ConfigSubentryData
) -> MockConfigEntry:
    """Load an entry for the shared add-on with these recipients."""
    entry = mock_entry(addon, subentries=subentries)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def answers(outbox: Outbox, to: str) -> list[dict[str, Any]]:
    """The texts the account sent to `to` during the test."""
    return [
        message
        for message in await outbox.messages()
        if message["type"] == "text" and message["to"] == to
    ]


async def test_a_recipient_turns_on_the_heating_and_gets_the_answer(
    hass: HomeAssistant, heating: None, shared_addon: Addon, outbox: Outbox
) -> None:
    """The agent acts, the answer is a reply, and the action is the message's."""
    await load(hass, shared_addon, recipient("Alice", ALICE, ALICE_JID))
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)

    message_id = await shared_addon.incoming(text="turn on the heating")

    await wait_until(lambda: hass.states.is_state(HEATING, STATE_ON), what="heating")
    await wait_until(lambda: answers(outbox, ALICE_JID), what="the agent's answer")
    (answer,) = await answers(outbox, ALICE_JID)
    assert answer["reply_to"] == message_id
    direct = await conversation.async_converse(
        hass, "turn on the heating", None, Context(), language="en"
    )
    assert answer["text"] == direct.response.speech["plain"]["speech"]
    # The chat showed that an answer was being written, and then stopped.
    presence = [
        message["state"]
        for message in await outbox.messages()
        if message["type"] == "presence" and message["to"] == ALICE_JID
    ]
    assert presence[:1] == ["composing"]
    await wait_until(
        lambda: _last_presence_paused(outbox, ALICE_JID), what="typing to stop"
    )
    (event,) = received
    assert event.data["assist"] is True
    # The logbook and automations trace the switch back to the message.
    assert hass.states.get(HEATING).context.id == event.context.id
    assert event.context.user_id is None


async def _last_presence_paused(outbox: Outbox, chat: str) -> bool:
    states = [
        message["state"]
        for message in await outbox.messages()
        if message["type"] == "presence" and message["to"] == chat
    ]
    return bool(states) and states[-1] == "paused"


async def test_the_same_text_from_someone_else_changes_nothing(
    hass: HomeAssistant, heating: None, shared_addon: Addon, outbox: Outbox
) -> None:
    """Assist answers only recipients with an agent, whatever `accept_from` says."""
    await load(
        hass,
        shared_addon,
        recipient("Alice", ALICE, ALICE_JID),
        recipient("Carol", "+15550000002", "15550000002@s.whatsapp.net", agent=None),
    )
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)

    await shared_addon.incoming(**{"from": BOB, "text": "turn on the heating"})
    await shared_addon.incoming(**{"from": "+15550000002", "text": "turn on heating"})

    await wait_until(lambda: len(received) == 2, what="both messages")
    await asyncio.sleep(QUIET_SECONDS)
    assert hass.states.is_state(HEATING, STATE_OFF)
    assert [m for m in await outbox.messages() if m["type"] == "text"] == []
    assert [event.data["assist"] for event in received] == [False, False]


async def test_in_a_group_only_a_mention_is_answered(
    hass: HomeAssistant, heating: None, shared_addon: Addon, outbox: Outbox
) -> None:
    """Group chatter is left alone; `@account turn on the heating` is answered."""
    await load(hass, shared_addon, recipient("Family", FAMILY, FAMILY))
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)

    await shared_addon.incoming(
        **{"from": BOB, "chat": FAMILY, "text": "turn on the heating"}
    )
    await wait_until(lambda: received, what="the group message")
    await asyncio.sleep(QUIET_SECONDS)
    assert hass.states.is_state(HEATING, STATE_OFF)
    assert await answers(outbox, FAMILY) == []

    mention_id = await shared_addon.incoming(
        **{
            "from": BOB,
            "chat": FAMILY,
            "text": "@15550000001 turn on the heating",
            "mentions": [DEFAULT_PHONE],
        }
    )

    await wait_until(lambda: answers(outbox, FAMILY), what="the answer in the group")
    assert hass.states.is_state(HEATING, STATE_ON)
    (answer,) = await answers(outbox, FAMILY)
    assert answer["reply_to"] == mention_id
    assert [event.data["assist"] for event in received] == [False, True]


class FailingAgent(conversation.AbstractConversationAgent):
    """An agent whose service is down."""

    @property
    def supported_languages(self) -> list[str]:
        """Every language."""
        return ["en", "de"]

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        """Fail as an unreachable online service does."""
        raise intent.IntentHandleError("the service is unreachable")


class CrashingAgent(FailingAgent):
    """An agent with a bug."""

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        """Crash."""
        raise RuntimeError("bug in the agent")


class SpeechlessAgent(FailingAgent):
    """An agent that acts but says nothing."""

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        """Answer without speech."""
        return conversation.ConversationResult(
            response=intent.IntentResponse(language=user_input.language),
            conversation_id=user_input.conversation_id,
        )


class SlowAgent(FailingAgent):
    """An agent that never finishes thinking."""

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        """Think for ever."""
        await asyncio.Event().wait()
        raise AssertionError


@pytest.mark.parametrize(
    ("agent", "language", "apology"),
    [
        (
            FailingAgent(),
            "de",
            "Entschuldigung, Home Assistant kann darauf gerade nicht antworten.",
        ),
        (
            CrashingAgent(),
            "en",
            "Sorry, Home Assistant could not answer that right now.",
        ),
        (
            SpeechlessAgent(),
            "en",
            "Sorry, Home Assistant could not answer that right now.",
        ),
        (SlowAgent(), "en", "Sorry, Home Assistant could not answer that right now."),
    ],
    ids=["failing", "crashing", "speechless", "too-slow"],
)
async def test_a_failing_agent_gets_the_translated_apology(
    hass: HomeAssistant,
    *,
    heating: None,
    shared_addon: Addon,
    outbox: Outbox,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    agent: conversation.AbstractConversationAgent,
    language: str,
    apology: str,
) -> None:
    """The chat hears that it did not work, in Home Assistant's language; the log says why."""
    monkeypatch.setattr(assist, "ANSWER_TIMEOUT", 0.5)
    hass.config.language = language
    agent_entry = MockConfigEntry(domain="test_agent")
    agent_entry.add_to_hass(hass)
    conversation.async_set_agent(hass, agent_entry, agent)
    await load(
        hass, shared_addon, recipient("Alice", ALICE, ALICE_JID, agent_entry.entry_id)
    )

    message_id = await shared_addon.incoming(text="turn on the heating")

    await wait_until(lambda: answers(outbox, ALICE_JID), what="the apology")
    (answer,) = await answers(outbox, ALICE_JID)
    assert (answer["text"], answer["reply_to"]) == (apology, message_id)
    assert f"The conversation agent {agent_entry.entry_id}" in caplog.text
    assert "Alice" in caplog.text
    assert ALICE not in caplog.text


async def test_commands_and_media_are_not_for_the_agent(
    hass: HomeAssistant, heating: None, shared_addon: Addon, outbox: Outbox
) -> None:
    """`/heating on` is an automation's command; a photo has nothing to answer."""
    await load(hass, shared_addon, recipient("Alice", ALICE, ALICE_JID))
    received: list[Event] = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)

    await shared_addon.incoming(text="/turn on the heating")
    await shared_addon.incoming(
        kind="image", caption="turn on the heating", media={"mimetype": "image/jpeg"}
    )

    await wait_until(lambda: len(received) == 2, what="both messages")
    await asyncio.sleep(QUIET_SECONDS)
    assert hass.states.is_state(HEATING, STATE_OFF)
    assert await answers(outbox, ALICE_JID) == []


async def test_an_agent_is_chosen_when_adding_and_changed_later(
    hass: HomeAssistant,
    heating: None,
    shared_entry: MockConfigEntry,
    shared_addon: Addon,
    outbox: Outbox,
) -> None:
    """The person and group steps offer the agent; reconfigure sets and clears it."""
    flow = await hass.config_entries.subentries.async_init(
        (shared_entry.entry_id, "recipient"), context={"source": "user"}
    )
    flow = await hass.config_entries.subentries.async_configure(
        flow["flow_id"], {"next_step_id": "group"}
    )
    assert "conversation_agent" in flow["data_schema"].schema
    flow = await hass.config_entries.subentries.async_init(
        (shared_entry.entry_id, "recipient"), context={"source": "user"}
    )
    flow = await hass.config_entries.subentries.async_configure(
        flow["flow_id"], {"next_step_id": "person"}
    )
    flow = await hass.config_entries.subentries.async_configure(
        flow["flow_id"], {"name": "Alice", "phone_number": ALICE}
    )
    assert flow["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = shared_entry.subentries.values()
    assert dict(subentry.data) == {"recipient": ALICE}

    for agent, expected in (
        (BUILT_IN_AGENT, {"recipient": ALICE, "conversation_agent": BUILT_IN_AGENT}),
        ("", {"recipient": ALICE}),
    ):
        flow = await shared_entry.start_subentry_reconfigure_flow(
            hass, subentry.subentry_id
        )
        assert flow["step_id"] == "reconfigure"
        flow = await hass.config_entries.subentries.async_configure(
            flow["flow_id"], {"conversation_agent": agent}
        )
        assert flow["reason"] == "reconfigure_successful"
        assert dict(shared_entry.subentries[subentry.subentry_id].data) == expected
        if agent:
            # The next message is answered, without a reload.
            await shared_addon.incoming(text="turn on the heating")
            await wait_until(lambda: answers(outbox, ALICE_JID), what="the answer")
            assert hass.states.is_state(HEATING, STATE_ON)
