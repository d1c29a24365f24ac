"""Delivery latency and idle traffic: this integration against the polling design of other bridges.

The polling stand-in (bench/polling-bridge.mjs) gets every message at the instant the add-on's
contact sends it, so both designs are timed on one stream. The Pi-like profile repeats the
latency with the add-on pinned to one core.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import suppress
import json
import random
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from harness import (
    BENCH_DIR,
    NODE,
    ONE_CORE,
    Arrivals,
    BenchAddon,
    percentiles,
    run_client,
    running,
    setup_entry,
    start_addon,
    unload_all,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest

from tests.reliability.addon_process import free_port, wait_for

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import BenchSizes
    from homeassistant.core import HomeAssistant

POLLED_EVENT = "bench_polled_message_received"
# The polling baselines: every 5 s, and an eager one every 2 s.
POLL_INTERVALS = {"poll_5s": 5.0, "poll_2s": 2.0}


async def steady_stream(
    addon: BenchAddon, sizes: BenchSizes, **also_to: str
) -> list[tuple[str, str]]:
    """The latency stream into the add-on (and `also_to`, such as a polling bridge's `bridge`).

    Each message's id and when it was injected, in ns.
    """
    config = {"mode": "steady", "url": addon.url, "key": addon.api_key, **also_to}
    config |= {"count": sizes.latency_messages, "rate": sizes.latency_rate}
    time_limit = sizes.latency_messages / sizes.latency_rate + 120
    return (await run_client(config, time_limit=time_limit))["sent"]


def delays_ms(sent: list[tuple[str, str]], arrived_ns: dict[str, int]) -> list[float]:
    """Injection to arrival of each message sent, in ms."""
    return [(arrived_ns[message_id] - int(at_ns)) / 1e6 for message_id, at_ns in sent]


class PollingBridge:
    """The reference design (bench/polling-bridge.mjs) as a child process."""

    def __init__(self) -> None:
        """Nothing runs before `start`."""
        self.process: asyncio.subprocess.Process | None = None
        self.url = ""

    async def start(self, clients: list[str]) -> None:
        """Run it and give each polling client its queue."""
        self.process = await asyncio.create_subprocess_exec(
            NODE,
            str(BENCH_DIR / "polling-bridge.mjs"),
            "0",
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout=10)
        self.url = f"http://127.0.0.1:{json.loads(line)['port']}"
        async with aiohttp.ClientSession() as http:
            for client in clients:
                async with http.post(f"{self.url}/clients", params={"client": client}):
                    pass

    async def polls(self) -> dict[str, int]:
        """How often each client has polled so far."""
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{self.url}/stats") as response,
        ):
            return dict((await response.json())["polls"])

    async def stop(self) -> None:
        """End the process."""
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


async def poll_like_the_other_bridges(
    hass: HomeAssistant, bridge_url: str, client: str, interval: float
) -> None:
    """A polling integration: every `interval` s drain the queue and fire each message.

    The first poll falls at a random moment, as it would relative to a message.
    """
    session = async_get_clientsession(hass)
    loop = asyncio.get_running_loop()
    next_poll = loop.time() + random.uniform(0, interval)  # noqa: S311 - not a secret
    while True:
        await asyncio.sleep(max(0.0, next_poll - loop.time()))
        next_poll += interval
        with suppress(aiohttp.ClientError, TimeoutError):
            async with session.get(
                f"{bridge_url}/messages",
                params={"client": client},
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:
                messages = (await response.json())["messages"]
            for message in messages:
                hass.bus.async_fire(POLLED_EVENT, {**message, "client": client})


@pytest.mark.usefixtures("enable_custom_integrations", "socket_enabled")
async def test_delivery_latency(
    hass: HomeAssistant, tmp_path: Path, sizes: BenchSizes, results: dict[str, Any]
) -> None:
    """Injection → bus event, for this integration and the polling baselines, on one stream."""
    addon = await start_addon(tmp_path, "latency")
    bridge = PollingBridge()
    arrivals = Arrivals(hass, extra_event=POLLED_EVENT)
    try:
        await addon.link()
        await bridge.start(list(POLL_INTERVALS))
        await setup_entry(hass, addon.url, addon.api_key)
        pollers = [
            poll_like_the_other_bridges(hass, bridge.url, client, interval)
            for client, interval in POLL_INTERVALS.items()
        ]
        async with running(*pollers):
            # Let the integration settle into its long poll before the stream starts.
            await asyncio.sleep(1)
            sent = await steady_stream(addon, sizes, bridge=bridge.url)
            ids = {message_id for message_id, _ in sent}

            async def everyone_has_everything() -> bool:
                return all(
                    ids <= arrivals.at.get(design, {}).keys()
                    for design in ("push", *POLL_INTERVALS)
                )

            await wait_for(
                everyone_has_everything,
                within=2 * max(POLL_INTERVALS.values()) + 30,
                what="every design to deliver every message",
                interval=0.05,
            )
        latency = {}
        for design in ("push", *POLL_INTERVALS):
            latency[design] = percentiles(delays_ms(sent, arrivals.at[design]))
        assert max(arrivals.counts.values()) == 1, "a message was fired twice"
        results["latency_ms"] = latency
        results["latency_rate_per_s"] = sizes.latency_rate
    finally:
        arrivals.close()
        await unload_all(hass)
        await bridge.stop()
        await addon.close()


class CountingProxy:
    """A reverse proxy in front of the add-on that counts the requests passing through."""

    def __init__(self, upstream: str) -> None:
        """Nothing listens before `start`."""
        self.upstream = upstream
        self.requests: list[tuple[float, str]] = []
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        # Long polls may still be in flight at the end; do not wait for them.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self._http = aiohttp.ClientSession()
        self.url = f"http://127.0.0.1:{port}"

    async def _forward(self, request: web.Request) -> web.Response:
        self.requests.append((time.monotonic(), f"{request.method} {request.path}"))
        assert self._http is not None
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() in ("authorization", "content-type")
        }
        async with self._http.request(
            request.method,
            f"{self.upstream}{request.path_qs}",
            headers=headers,
            data=await request.read(),
            timeout=aiohttp.ClientTimeout(total=120),
        ) as upstream:
            return web.Response(
                status=upstream.status,
                body=await upstream.read(),
                content_type=upstream.content_type,
            )

    def count_between(self, start: float, end: float) -> Counter[str]:
        """Requests that arrived in [start, end), by route."""
        return Counter(route for at, route in self.requests if start <= at < end)

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()


@pytest.mark.usefixtures("enable_custom_integrations", "socket_enabled")
async def test_idle_requests(
    hass: HomeAssistant, tmp_path: Path, sizes: BenchSizes, results: dict[str, Any]
) -> None:
    """HTTP requests per minute while nothing happens, this integration against the pollers."""
    addon = await start_addon(tmp_path, "idle")
    proxy = CountingProxy(addon.url)
    bridge = PollingBridge()
    try:
        await addon.link()
        await proxy.start()
        await bridge.start(list(POLL_INTERVALS))
        await setup_entry(hass, proxy.url, addon.api_key)
        pollers = [
            poll_like_the_other_bridges(hass, bridge.url, client, interval)
            for client, interval in POLL_INTERVALS.items()
        ]
        async with running(*pollers):
            # Start-up requests are over once the first long poll is waiting.
            await asyncio.sleep(2)
            polls_before = await bridge.polls()
            start = time.monotonic()
            await asyncio.sleep(sizes.idle_seconds)
            end = time.monotonic()
            polls_after = await bridge.polls()
        per_minute = 60 / (end - start)
        ours = proxy.count_between(start, end)
        results["idle_requests_per_minute"] = {
            "push": round(sum(ours.values()) * per_minute, 1),
            "push_by_route": {
                route: round(n * per_minute, 1) for route, n in sorted(ours.items())
            },
            **{
                client: round(
                    (polls_after.get(client, 0) - polls_before.get(client, 0))
                    * per_minute,
                    1,
                )
                for client in POLL_INTERVALS
            },
            "window_s": round(end - start, 1),
        }
    finally:
        await unload_all(hass)
        await bridge.stop()
        await proxy.stop()
        await addon.close()


@pytest.mark.usefixtures("enable_custom_integrations", "socket_enabled")
async def test_delivery_latency_on_one_core(
    hass: HomeAssistant, tmp_path: Path, sizes: BenchSizes, results: dict[str, Any]
) -> None:
    """The same stream with the add-on pinned to one core, as on a small board."""
    addon = await start_addon(tmp_path, "latency-one-core", launcher=ONE_CORE)
    arrivals = Arrivals(hass)
    try:
        await addon.link()
        await setup_entry(hass, addon.url, addon.api_key)
        await asyncio.sleep(1)
        sent = await steady_stream(addon, sizes)
        ids = {message_id for message_id, _ in sent}

        async def all_fired() -> int:
            return arrivals.last_of(ids)

        await wait_for(
            all_fired, within=60, what="every message on the bus", interval=0.05
        )
        results["latency_one_core_ms"] = percentiles(
            delays_ms(sent, arrivals.at["push"])
        )
    finally:
        arrivals.close()
        await unload_all(hass)
        await addon.close()
