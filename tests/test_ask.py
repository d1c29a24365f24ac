"""`whatsapp_bridge.ask`: a poll, and the first vote on it as the action's response."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.whatsapp_bridge.api import Poll, SentMessage
from custom_components.whatsapp_bridge.ask import EARLY_VOTES_KEPT, PendingAsks
from custom_components.whatsapp_bridge.const import DOMAIN, EVENT_MESSAGE_RECEIVED

from .helpers import wait_until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from .conftest import Addon, Outbox

ALICE = "+4917612345678"
ALICE_JID = "4917612345678@s.whatsapp.net"
BOB = "+447700900123"
BOB_JID = "447700900123@s.whatsapp.net"
FAMILY = "120363000000000001@g.us"


def ask(
    hass: HomeAssistant, target: str, question: str, timeout: float = 10, **extra: Any
) -> asyncio.Task[Any]:
    """Call the action in the background, as a script waiting for it would."""
    return hass.async_create_task(
        hass.services.async_call(
            DOMAIN,
            "ask",
            {
                "target": target,
                "question": question,
                "options": ["Close it", "Leave it"],
                "timeout": timeout,
                **extra,
            },
            blocking=True,
            return_response=True,
        )
    )


async def poll_sent(outbox: Outbox, question: str) -> str:
    """Wait for the poll with `question` to reach WhatsApp; return its id."""
    found: list[str] = []

    async def sent() -> bool:
        found[:] = [
            message["id"]
            for message in await outbox.messages()
            if message["type"] == "poll" and message["question"] == question
        ]
        return bool(found)

    await wait_until(sent, what=f"the poll {question!r}")
    return found[0]


async def vote(
    addon: Addon, voter: str, poll_id: str, choice: str, **extra: Any
) -> str:
    """`voter` chooses `choice` in the poll."""
    return await addon.incoming(
        **{
            "from": voter,
            "kind": "poll_vote",
            "poll_vote": {"poll_id": poll_id, "selected": [choice]},
            **extra,
        }
    )


@pytest.mark.parametrize(
    "voter",
    [ALICE, ALICE_JID],
    ids=["vote-by-hidden-number", "vote-by-phone-number"],
)
async def test_a_vote_answers_the_call(
    hass: HomeAssistant,
    shared_entry: MockConfigEntry,
    shared_addon: Addon,
    outbox: Outbox,
    voter: str,
) -> None:
    """The chosen option and the voter's number come back, however the vote is addressed."""
    call = ask(hass, ALICE, "Garage open. Close it?")
    poll_id = await poll_sent(outbox, "Garage open. Close it?")
    assert not call.done()

    await vote(shared_addon, voter, poll_id, "Close it")

    assert await asyncio.wait_for(call, 10) == {
        "answer": "Close it",
        "voter": ALICE,
        "message_id": poll_id,
    }


async def test_concurrent_asks_each_get_their_own_answer(
    hass: HomeAssistant,
    shared_entry: MockConfigEntry,
    shared_addon: Addon,
    outbox: Outbox,
) -> None:
    """A vote answers only the call whose poll it is for; a group's member may answer."""
    to_alice = ask(hass, ALICE, "Alice: garage?")
    to_family = ask(hass, FAMILY, "Family: windows?")
    alice_poll = await poll_sent(outbox, "Alice: garage?")
    family_poll = await poll_sent(outbox, "Family: windows?")

    await vote(shared_addon, BOB, family_poll, "Leave it", chat=FAMILY)
    family = await asyncio.wait_for(to_family, 10)
    assert not to_alice.done()
    await vote(shared_addon, ALICE, alice_poll, "Close it")

    assert family == {"answer": "Leave it", "voter": BOB, "message_id": family_poll}
    assert await asyncio.wait_for(to_alice, 10) == {
        "answer": "Close it",
        "voter": ALICE,
        "message_id": alice_poll,
    }


async def test_no_vote_in_time_answers_null_and_a_late_vote_still_fires(
    hass: HomeAssistant,
    shared_entry: MockConfigEntry,
    shared_addon: Addon,
    outbox: Outbox,
) -> None:
    """A script goes on after the timeout; the vote that comes later is an ordinary event."""
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    call = ask(hass, BOB, "Anyone home?", timeout=1)
    poll_id = await poll_sent(outbox, "Anyone home?")

    assert await asyncio.wait_for(call, 10) == {
        "answer": None,
        "voter": None,
        "message_id": poll_id,
    }

    await vote(shared_addon, BOB, poll_id, "Leave it")
    await wait_until(lambda: received, what="the late vote's event")
    assert received[0].data["poll_vote"] == {
        "poll_id": poll_id,
        "selected": ["Leave it"],
    }
    assert received[0].data["sender_phone"] == BOB


@pytest.mark.parametrize(
    "options", [["Only one"], [str(n) for n in range(13)], ["Yes", "Yes"]]
)
async def test_options_whatsapp_cannot_show_are_refused(
    hass: HomeAssistant,
    shared_entry: MockConfigEntry,
    outbox: Outbox,
    options: list[str],
) -> None:
    """2 to 12 different options; nothing is sent otherwise."""
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "ask",
            {"target": ALICE, "question": "?", "options": options, "timeout": 5},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "poll_options"
    assert await outbox.messages() == []


async def test_unloading_the_account_ends_a_waiting_ask(
    hass: HomeAssistant,
    shared_entry: MockConfigEntry,
    outbox: Outbox,
) -> None:
    """A call does not hang for its whole timeout once nothing can answer it."""
    call = ask(hass, ALICE, "Still there?", timeout=600)
    await poll_sent(outbox, "Still there?")

    await hass.config_entries.async_unload(shared_entry.entry_id)

    with pytest.raises(HomeAssistantError) as err:
        await asyncio.wait_for(call, 10)
    assert err.value.translation_key == "ask_cancelled"


class OneSendClient:
    """Stands in for the add-on where a race needs exact timing: it sends a poll."""

    def __init__(self, on_send: Any) -> None:
        """Call `on_send(poll_id)` while the send is still in flight."""
        self._on_send = on_send

    async def send(self, to: str, content: Any, **_: Any) -> SentMessage:
        """Accept the message; its vote arrives before the answer does."""
        self._on_send("3EB0EARLY")
        return SentMessage(id="3EB0EARLY", to=to, timestamp=datetime.now(UTC))


def vote_message(poll_id: str, selected: list[str]) -> dict[str, Any]:
    """A `poll_vote` message as the journal has it."""
    return {
        "kind": "poll_vote",
        "from_me": False,
        "sender_phone": ALICE,
        "poll_vote": {"poll_id": poll_id, "selected": selected},
    }


async def test_a_vote_read_before_the_send_returned_still_answers(
    hass: HomeAssistant,
) -> None:
    """The journal can hand over the vote before the send call has its answer."""
    asks = PendingAsks()

    def vote_meanwhile(poll_id: str) -> None:
        asks.vote_received(vote_message(poll_id, []))  # taken back: no answer
        asks.vote_received(vote_message(poll_id, ["Close it"]))

    result = await asks.async_ask(
        hass,
        OneSendClient(vote_meanwhile),  # type: ignore[arg-type]
        FAMILY,
        Poll(question="Garage?", options=("Close it", "Leave it")),
        wait_seconds=0.1,
    )

    assert result.as_response() == {
        "answer": "Close it",
        "voter": ALICE,
        "message_id": "3EB0EARLY",
    }


def test_votes_nobody_waits_for_are_kept_only_briefly() -> None:
    """Late votes for old polls do not pile up while Home Assistant runs."""
    asks = PendingAsks()
    for n in range(EARLY_VOTES_KEPT + 50):
        asks.vote_received(vote_message(f"POLL{n}", ["Yes"]))
    asks.vote_received({"kind": "text", "text": "not a vote"})

    assert len(asks._early) == EARLY_VOTES_KEPT
