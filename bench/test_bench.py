"""The benchmarks: this design against the polling design of other bridges, in one run.

Every figure goes into the `results` dict, which bench/report.py turns into
bench/RESULTS.md. Home Assistant is the test instance of pytest-homeassistant-
custom-component with this integration loaded; the add-on is the real service.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import asynccontextmanager, suppress
import json
import math
import os
from pathlib import Path
import random
import shutil
import signal
import statistics
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whatsapp_bridge.const import DOMAIN, EVENT_MESSAGE_RECEIVED
from tests.reliability.addon_process import (
    DEFAULT_JID,
    AddonProcess,
    free_port,
    wait_for,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from conftest import BenchSizes

BENCH_DIR = Path(__file__).parent
NODE = shutil.which("node") or "node"
POLLED_EVENT = "bench_polled_message_received"
# The polling baselines: every 5 s, and an eager one every 2 s.
POLL_INTERVALS = {"poll_5s": 5.0, "poll_2s": 2.0}
MB = 1024 * 1024


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p95/p99 (nearest rank), max and mean, rounded for the report."""
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {
        "count": len(ordered),
        "p50": round(rank(50), 2),
        "p95": round(rank(95), 2),
        "p99": round(rank(99), 2),
        "max": round(ordered[-1], 2),
        "mean": round(statistics.fmean(ordered), 2),
    }


async def run_client(config: dict[str, Any], *, time_limit: float) -> dict[str, Any]:
    """Run bench/addon-client.mjs and return its JSON result."""
    process = await asyncio.create_subprocess_exec(
        NODE,
        str(BENCH_DIR / "addon-client.mjs"),
        json.dumps(config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=time_limit)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode == 0, err.decode(errors="replace")[-3000:]
    result: dict[str, Any] = json.loads(out)
    return result


async def start_addon(
    tmp_path: Path, name: str, *, node_args: list[str] | None = None, **env: str
) -> AddonProcess:
    """An add-on at the default log level, as users run it."""
    # The load generator is one address with more parallel requests than a Home Assistant makes.
    env = {"WA_MAX_CONNECTIONS_PER_CLIENT": "1024", **env}
    addon = AddonProcess(
        tmp_path / f"{name}-data",
        tmp_path / f"{name}.log",
        log_level="info",
        engine=env.pop("engine", "simulator"),
        env=env,
        node_args=node_args,
    )
    await addon.start()
    return addon


async def setup_entry(hass: HomeAssistant, url: str, api_key: str) -> MockConfigEntry:
    """Load the integration for the add-on at `url`, as the config flow would have."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="+15550000001",
        unique_id=DEFAULT_JID,
        data={CONF_URL: url, CONF_API_KEY: api_key},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def live_heap(addon: AddonProcess) -> dict[str, float]:
    """RSS, V8 heap reserved and JS heap in use right after a full GC (bench/heap-probe.mjs)."""
    seen = addon.log_text().count("heap-probe ")
    os.kill(addon.pid, signal.SIGUSR2)

    async def probed() -> str | None:
        lines = [
            line
            for line in addon.log_text().splitlines()
            if line.startswith("heap-probe ")
        ]
        return lines[-1] if len(lines) > seen else None

    line = await wait_for(probed, within=30, what="the heap probe", interval=0.1)
    usage = json.loads(line.removeprefix("heap-probe "))
    return {
        "rss_mb": round(usage["rss"] / MB, 1),
        "heap_total_mb": round(usage["heapTotal"] / MB, 1),
        "heap_used_mb": round(usage["heapUsed"] / MB, 1),
    }


async def rss_mb(addon: AddonProcess, *, samples: int = 5) -> float:
    """Median resident memory over a second."""
    readings = []
    for _ in range(samples):
        readings.append(addon.rss_bytes() / MB)
        await asyncio.sleep(1 / samples)
    return round(statistics.median(readings), 1)


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


@asynccontextmanager
async def running(*coroutines: Any) -> AsyncIterator[None]:
    """Run background coroutines for the duration of the `async with` body."""
    tasks = [asyncio.create_task(coroutine) for coroutine in coroutines]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task


class Arrivals:
    """When each message id reached the Home Assistant bus, per design."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Listen to this integration's events and the baselines' events."""
        self.at: dict[str, dict[str, int]] = {"push": {}}
        self.counts: Counter[str] = Counter()
        self.last_ns = 0
        self._unsubscribe = [
            hass.bus.async_listen(EVENT_MESSAGE_RECEIVED, self._on_ours),
            hass.bus.async_listen(POLLED_EVENT, self._on_polled),
        ]

    @callback
    def _on_ours(self, event: Event) -> None:
        now = time.monotonic_ns()
        message_id = event.data["id"]
        self.counts[message_id] += 1
        self.at["push"].setdefault(message_id, now)
        self.last_ns = now

    @callback
    def _on_polled(self, event: Event) -> None:
        self.at.setdefault(event.data["client"], {}).setdefault(
            event.data["id"], time.monotonic_ns()
        )

    def close(self) -> None:
        """Stop listening."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()


@pytest.mark.usefixtures("socket_enabled")
async def test_memory_with_the_baileys_engine_idle(
    tmp_path: Path, sizes: BenchSizes, results: dict[str, Any]
) -> None:
    """RSS of the add-on with the real Baileys engine loaded and its socket retrying."""
    # Nothing listens on this loopback port: the socket fails and backs off, as
    # it would while WhatsApp is unreachable. No traffic leaves the machine.
    addon = await start_addon(
        tmp_path,
        "baileys",
        engine="baileys",
        WA_WEBSOCKET_URL=f"ws://127.0.0.1:{free_port()}/ws",
    )
    try:
        await asyncio.sleep(sizes.settle_seconds)
        results.setdefault("memory", {})["baileys_idle_mb"] = await rss_mb(addon)
    finally:
        await addon.close()


@pytest.mark.usefixtures("socket_enabled")
async def test_send_overhead(
    tmp_path: Path, sizes: BenchSizes, results: dict[str, Any]
) -> None:
    """POST /v1/messages latency with pacing off, one send at a time."""
    addon = await start_addon(tmp_path, "send", WA_SEND_RATE_PER_MINUTE="0")
    try:
        await addon.link()
        result = await run_client(
            {
                "mode": "send",
                "url": addon.url,
                "key": addon.api_key,
                "count": sizes.sends,
                "warmup": sizes.send_warmup,
            },
            time_limit=600,
        )
        expected = sizes.sends + sizes.send_warmup

        async def all_decrypted() -> bool:
            # The contacts decrypt each message with real Signal code; a large run needs a while.
            outbox = (await addon.request("GET", "/v1/simulator/outbox"))["messages"]
            return len([m for m in outbox if m["type"] == "text"]) == expected

        await wait_for(
            all_decrypted, within=600, what="every send decrypted", interval=1
        )
        results["send_ms"] = percentiles(result["latencies_ms"])
    finally:
        await addon.close()


@pytest.mark.usefixtures("enable_custom_integrations", "socket_enabled")
async def test_delivery_latency(
    hass: HomeAssistant, tmp_path: Path, sizes: BenchSizes, results: dict[str, Any]
) -> None:
    """Injection → bus event, for this integration and the polling baselines, on one stream."""
    addon = await start_addon(tmp_path, "latency")
    bridge = PollingBridge()
    arrivals = Arrivals(hass)
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
            sent = (
                await run_client(
                    {
                        "mode": "steady",
                        "url": addon.url,
                        "key": addon.api_key,
                        "bridge": bridge.url,
                        "count": sizes.latency_messages,
                        "rate": sizes.latency_rate,
                    },
                    time_limit=sizes.latency_messages / sizes.latency_rate + 120,
                )
            )["sent"]
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
            delays = [
                (arrivals.at[design][message_id] - int(at_ns)) / 1e6
                for message_id, at_ns in sent
            ]
            latency[design] = percentiles(delays)
        assert max(arrivals.counts.values()) == 1, "a message was fired twice"
        results["latency_ms"] = latency
        results["latency_rate_per_s"] = sizes.latency_rate
    finally:
        arrivals.close()
        for entry in hass.config_entries.async_entries(DOMAIN):
            await hass.config_entries.async_unload(entry.entry_id)
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
        for entry in hass.config_entries.async_entries(DOMAIN):
            await hass.config_entries.async_unload(entry.entry_id)
        await bridge.stop()
        await proxy.stop()
        await addon.close()


@pytest.mark.usefixtures("enable_custom_integrations", "socket_enabled")
async def test_burst_throughput_and_memory_soak(
    hass: HomeAssistant, tmp_path: Path, sizes: BenchSizes, results: dict[str, Any]
) -> None:
    """Messages appended as fast as the journal takes them, until Home Assistant fired all."""
    addon = await start_addon(
        tmp_path,
        "burst",
        node_args=["--expose-gc", "--import", str(BENCH_DIR / "heap-probe.mjs")],
    )
    arrivals = Arrivals(hass)
    memory = results.setdefault("memory", {})
    try:
        await addon.link()
        await asyncio.sleep(sizes.settle_seconds)
        memory["simulator_idle_mb"] = await rss_mb(addon)
        await setup_entry(hass, addon.url, addon.api_key)
        await asyncio.sleep(1)
        injected = await run_client(
            {
                "mode": "burst",
                "url": addon.url,
                "key": addon.api_key,
                "count": sizes.burst_events,
                "concurrency": sizes.burst_concurrency,
                "prefix": "BURST",
            },
            time_limit=900,
        )
        assert injected["acknowledged"] == sizes.burst_events
        ids = {f"BURST{n:06d}" for n in range(sizes.burst_events)}

        async def all_fired() -> bool:
            return ids <= arrivals.counts.keys()

        # On a timeout the counts below say what is missing.
        with suppress(AssertionError):
            await wait_for(
                all_fired,
                within=600,
                what="Home Assistant to fire the burst",
                interval=0.05,
            )
        started = int(injected["started_ns"])
        appended_s = (int(injected["finished_ns"]) - started) / 1e9
        fired_s = (arrivals.last_ns - started) / 1e9
        lost = len(ids - arrivals.counts.keys())
        duplicated = sum(n - 1 for n in arrivals.counts.values() if n > 1)
        results["burst"] = {
            "events": sizes.burst_events,
            "concurrency": sizes.burst_concurrency,
            "appended_s": round(appended_s, 2),
            "append_events_per_s": round(sizes.burst_events / appended_s),
            "fired_s": round(fired_s, 2),
            "events_per_s": round(sizes.burst_events / fired_s),
            "lost": lost,
            "duplicated": duplicated,
        }
        memory["after_soak_mb"] = await rss_mb(addon)
        await asyncio.sleep(sizes.settle_seconds)
        memory["after_soak_settled_mb"] = await rss_mb(addon)
        memory["after_soak_gc"] = await live_heap(addon)
        memory["soak_messages"] = sizes.burst_events
        assert (lost, duplicated) == (0, 0)
    finally:
        arrivals.close()
        for entry in hass.config_entries.async_entries(DOMAIN):
            await hass.config_entries.async_unload(entry.entry_id)
        await addon.close()


@pytest.mark.usefixtures("enable_custom_integrations", "socket_enabled")
async def test_catch_up_after_home_assistant_was_offline(
    hass: HomeAssistant, tmp_path: Path, sizes: BenchSizes, results: dict[str, Any]
) -> None:
    """Messages journalled while Home Assistant was away, fired as fast as it reads them."""
    addon = await start_addon(tmp_path, "catch-up")
    arrivals = Arrivals(hass)
    try:
        await addon.link()
        entry = await setup_entry(hass, addon.url, addon.api_key)
        assert await hass.config_entries.async_unload(entry.entry_id)
        await run_client(
            {
                "mode": "burst",
                "url": addon.url,
                "key": addon.api_key,
                "count": sizes.catch_up_events,
                "concurrency": sizes.burst_concurrency,
                "prefix": "AWAY",
            },
            time_limit=900,
        )
        ids = {f"AWAY{n:06d}" for n in range(sizes.catch_up_events)}
        started = time.monotonic_ns()
        assert await hass.config_entries.async_setup(entry.entry_id)

        async def all_fired() -> bool:
            return ids <= arrivals.counts.keys()

        with suppress(AssertionError):
            await wait_for(all_fired, within=600, what="the catch-up", interval=0.05)
        seconds = (arrivals.last_ns - started) / 1e9
        lost = len(ids - arrivals.counts.keys())
        duplicated = sum(n - 1 for n in arrivals.counts.values() if n > 1)
        results["catch_up"] = {
            "events": sizes.catch_up_events,
            "seconds": round(seconds, 2),
            "events_per_s": round(sizes.catch_up_events / seconds),
            "lost": lost,
            "duplicated": duplicated,
        }
        assert (lost, duplicated) == (0, 0)
    finally:
        arrivals.close()
        for loaded in hass.config_entries.async_entries(DOMAIN):
            await hass.config_entries.async_unload(loaded.entry_id)
        await addon.close()
