"""The actions at the add-on's send pace: spaced sends, and a full queue refused."""

from __future__ import annotations

import asyncio
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING

from homeassistant.exceptions import HomeAssistantError
import pytest

from .actions import call
from .chats import FAMILY, NEIGHBOURS, PHONE
from .helpers import wait_until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from .addon_server import Addon

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
