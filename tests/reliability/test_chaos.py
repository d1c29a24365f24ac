"""Streams of messages to two numbers while the add-on crashes and entries reload.

One add-on serves two accounts (two linked numbers), each with its own config
entry. WhatsApp's side is played the way WhatsApp behaves: a message counts as
delivered only once the add-on acknowledged it, and one whose delivery broke off
(the add-on died mid-request) is delivered again. Home Assistant must fire every
message exactly once, for the entry of the number it was sent to, whatever was
in flight when the add-on was SIGKILLed.
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

from custom_components.whatsapp_bridge.const import (
    CONF_ACCOUNT,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
)

from .addon_process import DEFAULT_ACCOUNT, AddonError, AddonProcess, wait_for

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Sizes

SENDER = "+4917612345678"
# Each number's deliveries in flight at once.
IN_FLIGHT = 4
DELIVERY_DEADLINE = 120.0
# The add-on's accounts and the phone each is linked to.
NUMBERS = {DEFAULT_ACCOUNT: "+15550000001", "office": "+15550000002"}


class WhatsAppServer:
    """Delivers numbered messages to one account until each one is acknowledged."""

    def __init__(self, addon: AddonProcess, account: str, count: int) -> None:
        """Nothing is delivered before `deliver_all`."""
        self._addon = addon
        self._route = f"{addon.routes(account)}/simulator/incoming"
        self.ids = [f"CHAOS{account.upper()}{n:06d}" for n in range(count)]
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

        async with asyncio.TaskGroup() as group:
            for _ in range(IN_FLIGHT):
                group.create_task(worker())

    async def _deliver(self, message_id: str) -> None:
        deadline = time.monotonic() + DELIVERY_DEADLINE
        body = {"from": SENDER, "id": message_id, "text": f"chaos {message_id}"}
        while True:
            try:
                status, answer = await self._addon.call(
                    "POST", self._route, body, time_limit=5
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


async def test_every_message_fires_once_per_number_through_crashes_and_reloads(
    hass: HomeAssistant, tmp_path: Path, socket_enabled: None, sizes: Sizes
) -> None:
    """Each injected message fires exactly once, for its number's entry only."""
    rng = random.Random()  # noqa: S311 - test data, not secrets
    seed = rng.randrange(2**32)
    rng.seed(seed)
    addon = AddonProcess(tmp_path / "addon-data", tmp_path / "addon.log")
    try:
        await addon.start()
        await addon.create_account("office")
        entries: dict[str, MockConfigEntry] = {}
        for account, phone in NUMBERS.items():
            await addon.link(phone, account=account)
            entries[account] = MockConfigEntry(
                domain=DOMAIN,
                title=phone,
                unique_id=f"{phone[1:]}@s.whatsapp.net",
                data={
                    CONF_URL: addon.url,
                    CONF_API_KEY: addon.api_key,
                    CONF_ACCOUNT: account,
                },
                minor_version=2,
            )
            entries[account].add_to_hass(hass)
            assert await hass.config_entries.async_setup(entries[account].entry_id)
        account_of_entry = {entry.entry_id: acc for acc, entry in entries.items()}

        fired: Counter[tuple[str, str]] = Counter()

        @callback
        def count(event: Event) -> None:
            account = account_of_entry[event.data["entry_id"]]
            fired[account, event.data["id"]] += 1

        unsubscribe = hass.bus.async_listen(EVENT_MESSAGE_RECEIVED, count)
        # The run's messages, split between the two numbers.
        total = sizes.chaos_events
        servers = {
            account: WhatsAppServer(addon, account, total // len(NUMBERS))
            for account in NUMBERS
        }
        # Moments are picked by progress, not by clock, so they fall inside the
        # streams however fast this machine is; the small random pause on top
        # lands each one at an arbitrary point of a request.
        kill_points = sorted(
            rng.sample(range(total // 30, total - total // 30), sizes.chaos_kills)
        )
        reload_points = sorted(
            rng.sample(range(total // 20, total - total // 20), sizes.chaos_reloads)
        )

        def acknowledged() -> int:
            return sum(len(server.acknowledged) for server in servers.values())

        async def reached(point: int) -> None:
            await wait_for(
                lambda: _at_least(acknowledged(), point),
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
                entry = entries[rng.choice(list(NUMBERS))]
                await hass.config_entries.async_reload(entry.entry_id)

        started = time.monotonic()
        # A failure in one part cancels the others, so none outlives the test.
        async with asyncio.TaskGroup() as group:
            for server in servers.values():
                group.create_task(server.deliver_all())
            group.create_task(crash_repeatedly())
            group.create_task(reload_repeatedly())
        every_id = {
            (account, message_id)
            for account, server in servers.items()
            for message_id in server.ids
        }
        for server in servers.values():
            assert server.acknowledged == set(server.ids)

        async def all_fired_and_caught_up() -> bool:
            if not every_id <= fired.keys():
                return False
            for account, entry in entries.items():
                if entry.state is not ConfigEntryState.LOADED:
                    return False
                # Caught up with the whole journal, so a late duplicate would show too.
                listener = entry.runtime_data.listener
                if (listener.last_seq or 0) < await addon.last_seq(account):
                    return False
            return True

        # On a timeout the assertions below say what is missing.
        with suppress(AddonError):
            await wait_for(
                all_fired_and_caught_up, within=60, what="every message", interval=0.1
            )
        unsubscribe()
        seconds = time.monotonic() - started

        broken_off = sum(server.broken_off for server in servers.values())
        summary = (
            f"seed {seed}: {total} messages to {len(NUMBERS)} numbers, "
            f"{sizes.chaos_kills} kills ({addon.starts - 1} restarts), "
            f"{sizes.chaos_reloads} reloads, {broken_off} deliveries broke off, "
            f"{seconds:.1f} s"
        )
        for account in NUMBERS:
            mine = {key for key in every_id if key[0] == account}
            lost = sorted(message_id for _, message_id in mine - fired.keys())
            assert lost == [], (
                f"{account}: {len(lost)} lost, e.g. {lost[:5]}; {summary}"
            )
            duplicated = {
                message_id: n
                for (acc, message_id), n in fired.items()
                if acc == account and n > 1
            }
            assert duplicated == {}, f"{account}: fired more than once; {summary}"
            assert entries[account].state is ConfigEntryState.LOADED
        # A message fired for the other number's entry would show up here.
        assert fired.keys() - every_id == set(), f"wrong entry or never sent; {summary}"
        assert addon.starts == sizes.chaos_kills + 1
    finally:
        # Stop Home Assistant's side first, so nothing polls a stopped add-on.
        for loaded in hass.config_entries.async_entries(DOMAIN):
            await hass.config_entries.async_unload(loaded.entry_id)
        await addon.close()


async def _at_least(value: int, count: int) -> bool:
    return value >= count
