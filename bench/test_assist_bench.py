"""Assist in WhatsApp: message in → the agent's answer out, against the agent alone.

The same built-in agent, the same sentences, in the same run: the difference
is what the add-on and the integration add (journal, long poll, presence,
the paced send queue with pacing off, WhatsApp's encryption on both sides).
"""

from __future__ import annotations

from datetime import datetime
import time
from typing import TYPE_CHECKING, Any

from harness import percentiles, start_addon
from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import (
    async_expose_entity,
)
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import Context, HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whatsapp_bridge.const import DOMAIN
from tests.reliability.addon_process import DEFAULT_JID, AddonProcess, wait_for

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import BenchSizes

ALICE = "+4917612345678"
ALICE_JID = "4917612345678@s.whatsapp.net"
SENTENCES = ("turn on the heating", "turn off the heating")


def assist_messages(sizes: BenchSizes) -> int:
    """Round trips measured: each is a full conversation, so fewer than messages."""
    return 20 if sizes.name == "quick" else 200


async def heating_with_the_built_in_agent(hass: HomeAssistant) -> None:
    """Assist with an input boolean "Heating" exposed to it."""
    hass.config.language = "en"
    for component in ("homeassistant", "intent", "conversation"):
        assert await async_setup_component(hass, component, {})
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"heating": {"name": "Heating"}}}
    )
    async_expose_entity(
        hass, conversation.DOMAIN, "input_boolean.heating", should_expose=True
    )
    await hass.async_block_till_done()


async def direct_ms(hass: HomeAssistant, count: int) -> list[float]:
    """The agent alone: `conversation.async_converse`, as the integration calls it."""
    delays = []
    for n in range(count):
        start = time.perf_counter()
        result = await conversation.async_converse(
            hass,
            SENTENCES[n % 2],
            "bench-direct",
            Context(),
            language="en",
            agent_id=conversation.HOME_ASSISTANT_AGENT,
        )
        delays.append((time.perf_counter() - start) * 1000)
        assert result.response.speech["plain"]["speech"]
    return delays


@pytest.mark.usefixtures("enable_custom_integrations", "socket_enabled")
async def test_assist_round_trip(
    hass: HomeAssistant, tmp_path: Path, sizes: BenchSizes, results: dict[str, Any]
) -> None:
    """Injection of a text → the contact decrypts the agent's reply, one at a time."""
    count = assist_messages(sizes)
    await heating_with_the_built_in_agent(hass)
    addon = await start_addon(tmp_path, "assist", WA_SEND_RATE_PER_MINUTE="0")
    try:
        await addon.link()
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="+15550000001",
            unique_id=DEFAULT_JID,
            data={CONF_URL: addon.url, CONF_API_KEY: addon.api_key},
            subentries_data=[
                ConfigSubentryData(
                    data={
                        "recipient": ALICE,
                        "conversation_agent": conversation.HOME_ASSISTANT_AGENT,
                    },
                    subentry_type="recipient",
                    title="Alice",
                    unique_id=ALICE_JID,
                )
            ],
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        # Warm both paths (sentence cache, Signal sessions) before measuring.
        await direct_ms(hass, 2)
        round_trips = [
            await round_trip_ms(addon, SENTENCES[n % 2]) for n in range(count + 2)
        ]
        results["assist_ms"] = {
            "whatsapp": percentiles(round_trips[2:]),
            "agent_alone": percentiles(await direct_ms(hass, count)),
        }
    finally:
        for loaded in hass.config_entries.async_entries(DOMAIN):
            await hass.config_entries.async_unload(loaded.entry_id)
        await addon.close()


async def round_trip_ms(addon: AddonProcess, text: str) -> float:
    """Alice writes `text`; milliseconds until she has decrypted the reply to it."""
    start = time.time()
    message = await addon.request(
        "POST", "/v1/simulator/incoming", {"from": ALICE, "text": text}
    )
    reply: dict[str, Any] = {}

    async def answered() -> bool:
        outbox = (await addon.request("GET", "/v1/simulator/outbox"))["messages"]
        for sent in reversed(outbox):
            if sent.get("reply_to") == message["id"]:
                reply.update(sent)
                return True
        return False

    await wait_for(answered, within=30, what="the agent's answer", interval=0.01)
    return (datetime.fromisoformat(reply["sent_at"]).timestamp() - start) * 1000
