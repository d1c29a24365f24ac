"""Questions asked with a poll, each waiting for the first vote on its own poll."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError

from .const import DOMAIN
from .messaging import Outgoing, async_send

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .api import Poll, WhatsAppClient

# Votes kept for a poll that nobody waits for yet: its vote can be read from
# the journal before the send that created it has returned.
EARLY_VOTES_KEPT: Final = 100
EARLY_VOTE_SECONDS: Final = 60.0


@dataclass(frozen=True, slots=True)
class Vote:
    """The first choice someone made in a poll, and who made it."""

    answer: str
    voter: str | None


@dataclass(frozen=True, slots=True)
class AskResult:
    """What `whatsapp_bridge.ask` answers: the vote, or None on timeout."""

    message_id: str
    vote: Vote | None

    def as_response(self) -> dict[str, Any]:
        """Return the action's response."""
        return {
            "answer": self.vote.answer if self.vote else None,
            "voter": self.vote.voter if self.vote else None,
            "message_id": self.message_id,
        }


def vote_of(message: dict[str, Any]) -> tuple[str, Vote] | None:
    """Return the poll a `poll_vote` message is for, and its choice.

    The add-on names the poll by the id it was sent with, whatever address
    form (LID or phone number) the vote came in, so the id alone matches it.
    A vote that takes every choice back counts as no answer.
    """
    if message.get("kind") != "poll_vote" or message.get("from_me"):
        return None
    poll_vote = message.get("poll_vote") or {}
    poll_id, selected = poll_vote.get("poll_id"), poll_vote.get("selected")
    if not isinstance(poll_id, str) or not selected:
        return None
    voter = message.get("sender_phone")
    return poll_id, Vote(str(selected[0]), voter if isinstance(voter, str) else None)


class PendingAsks:
    """The `ask` calls of one account that wait for a vote."""

    def __init__(self) -> None:
        """Nothing waits yet."""
        self._waiting: dict[str, asyncio.Future[Vote]] = {}
        self._early: OrderedDict[str, tuple[float, Vote]] = OrderedDict()

    async def async_ask(
        self,
        hass: HomeAssistant,
        client: WhatsAppClient,
        target: str,
        poll: Poll,
        wait_seconds: float,
    ) -> AskResult:
        """Send the poll and wait up to `wait_seconds` for its first vote."""
        (sent,) = await async_send(hass, client, [target], Outgoing(poll=poll))
        if early := self._early.pop(sent.id, None):
            return AskResult(sent.id, early[1])
        future: asyncio.Future[Vote] = hass.loop.create_future()
        self._waiting[sent.id] = future
        try:
            async with asyncio.timeout(wait_seconds):
                return AskResult(sent.id, await future)
        except TimeoutError:
            return AskResult(sent.id, None)
        finally:
            self._waiting.pop(sent.id, None)

    @callback
    def vote_received(self, message: dict[str, Any]) -> None:
        """Answer the `ask` whose poll this vote is for, if one waits."""
        if (found := vote_of(message)) is None:
            return
        poll_id, vote = found
        future = self._waiting.get(poll_id)
        if future is None:
            self._keep_early(poll_id, vote)
        elif not future.done():
            future.set_result(vote)

    def _keep_early(self, poll_id: str, vote: Vote) -> None:
        now = time.monotonic()
        self._early.setdefault(poll_id, (now, vote))
        while self._early and (
            len(self._early) > EARLY_VOTES_KEPT
            or next(iter(self._early.values()))[0] < now - EARLY_VOTE_SECONDS
        ):
            self._early.popitem(last=False)

    @callback
    def async_cancel_all(self) -> None:
        """End every waiting call with an error: the account unloads."""
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(
                    HomeAssistantError(
                        translation_domain=DOMAIN, translation_key="ask_cancelled"
                    )
                )
        self._waiting.clear()
