"""A stream of messages while the add-on crashes and Home Assistant reloads the entry.

WhatsApp's side is played the way WhatsApp behaves: a message counts as delivered
only once the add-on acknowledged it, and one whose delivery broke off (the add-on
died mid-request) is delivered again. Home Assistant must fire every message
exactly once, whatever was in flight when the add-on was SIGKILLed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import suppress
import random
import time
from typing import TYPE_CHECKING

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import Event, HomeAssistant, callback
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whatsapp_bridge.const import DOMAIN, EVENT_MESSAGE_RECEIVED

from .addon_process import DEFAULT_JID, AddonError, AddonProcess, wait_for

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Sizes

SENDER = "+4917612345678"
IN_FLIGHT = 8
DELIVERY_DEADLINE = 120.0


class WhatsAppServer:
    """Delivers numbered messages to the add-on until each one is acknowledged."""

    def __init__(self, addon: AddonProcess, count: int) -> None:
        """Nothing is delivered before `deliver_all`."""
        self._addon = addon
        self.ids = [f"CHAOS{n:06d}" for n in range(count)]
        self.acknowledged: set[str] = set()
        # Deliveries that broke off with no answer: the add-on may or may not have
        # journalled them before it died, so the redelivery must not double them.
        self.broken_off = 0

    async def deliver_all(self) -> None:
        """Deliver every message, `IN_FLIGHT` at a time, in order of their ids."""
        queue = iter(self.ids)

        async def worker() -> None:
            for message_id in queue:
                await self._deliver(message_id)

        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))

    async def _deliver(self, message_id: str) -> None:
        deadline = time.monotonic() + DELIVERY_DEADLINE
        body = {"from": SENDER, "id": message_id, "text": f"chaos {message_id}"}
        while True:
            try:
                status, answer = await self._addon.call(
                    "POST", "/v1/simulator/incoming", body, time_limit=5
                )
            except aiohttp.ClientConnectorError:
                pass  # not listening (restarting): nothing was delivered
            except aiohttp.ClientError, TimeoutError:
                self.broken_off += 1
            else:
                if status == 200:
                    self.acknowledged.add(message_id)
                    return
                # 409: the add-on is up but WhatsApp is not connected yet.
                assert status == 409, (message_id, status, answer)
            if time.monotonic() > deadline:
                raise AddonError(f"{message_id} was never acknowledged")
            await asyncio.sleep(0.02)


async def test_every_message_fires_once_through_crashes_and_reloads(
    hass: HomeAssistant, tmp_path: Path, socket_enabled: None, sizes: Sizes
) -> None:
    """Each injected message is fired exactly once, despite SIGKILLs and reloads."""
    rng = random.Random()  # noqa: S311 - test data, not secrets
    seed = rng.randrange(2**32)
    rng.seed(seed)
    addon = AddonProcess(tmp_path / "addon-data", tmp_path / "addon.log")
    try:
        await addon.start()
        await addon.link()
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="+15550000001",
            unique_id=DEFAULT_JID,
            data={CONF_URL: addon.url, CONF_API_KEY: addon.api_key},
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)

        fired: Counter[str] = Counter()

        @callback
        def count(event: Event) -> None:
            fired[event.data["id"]] += 1

        unsubscribe = hass.bus.async_listen(EVENT_MESSAGE_RECEIVED, count)
        server = WhatsAppServer(addon, sizes.chaos_events)
        total = sizes.chaos_events
        # Moments are picked by progress, not by clock, so they fall inside the
        # stream however fast this machine is; the small random pause on top
        # lands each one at an arbitrary point of a request.
        kill_points = sorted(
            rng.sample(range(total // 30, total - total // 30), sizes.chaos_kills)
        )
        reload_points = sorted(
            rng.sample(range(total // 20, total - total // 20), sizes.chaos_reloads)
        )

        async def reached(point: int) -> None:
            await wait_for(
                lambda: _at_least(server.acknowledged, point),
                within=DELIVERY_DEADLINE,
                what=f"{point} acknowledged messages",
                interval=0.005,
            )
            await asyncio.sleep(rng.uniform(0, 0.03))

        async def crash_repeatedly() -> None:
            for point in kill_points:
                await reached(point)
                await addon.kill()
                await addon.start()

        async def reload_repeatedly() -> None:
            for point in reload_points:
                await reached(point)
                await hass.config_entries.async_reload(entry.entry_id)

        started = time.monotonic()
        await asyncio.gather(
            server.deliver_all(), crash_repeatedly(), reload_repeatedly()
        )
        every_id = set(server.ids)
        assert server.acknowledged == every_id

        async def all_fired_and_caught_up() -> bool:
            if (
                not every_id <= fired.keys()
                or entry.state is not ConfigEntryState.LOADED
            ):
                return False
            # Caught up with the whole journal, so a late duplicate would show too.
            listener = entry.runtime_data.listener
            return (listener.last_seq or 0) >= await addon.last_seq()

        # On a timeout the assertions below say what is missing.
        with suppress(AddonError):
            await wait_for(
                all_fired_and_caught_up, within=60, what="every message", interval=0.1
            )
        unsubscribe()
        seconds = time.monotonic() - started

        duplicated = {message_id: n for message_id, n in fired.items() if n > 1}
        summary = (
            f"seed {seed}: {total} messages, {sizes.chaos_kills} kills "
            f"({addon.starts - 1} restarts), {sizes.chaos_reloads} reloads, "
            f"{server.broken_off} deliveries broke off, {seconds:.1f} s"
        )
        lost = sorted(every_id - fired.keys())
        assert lost == [], f"{len(lost)} lost, e.g. {lost[:5]}; {summary}"
        assert entry.state is ConfigEntryState.LOADED
        assert fired.keys() - every_id == set(), f"never injected; {summary}"
        assert duplicated == {}, f"fired more than once; {summary}"
        assert addon.starts == sizes.chaos_kills + 1
    finally:
        # Stop Home Assistant's side first, so nothing polls a stopped add-on.
        for loaded in hass.config_entries.async_entries(DOMAIN):
            await hass.config_entries.async_unload(loaded.entry_id)
        await addon.close()


async def _at_least(acknowledged: set[str], count: int) -> bool:
    return len(acknowledged) >= count
