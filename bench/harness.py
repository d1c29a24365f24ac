"""What the benchmarks share: starting the add-on as users run it, the load client, Home Assistant.

Every figure goes into the `results` dict (conftest.py), which bench/report.py turns into
bench/RESULTS.md. Home Assistant is the test instance of pytest-homeassistant-custom-
component with this integration loaded; the add-on is the real service.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import asynccontextmanager, suppress
import functools
import json
import math
import os
from pathlib import Path
import shutil
import statistics
import subprocess
import time
from typing import TYPE_CHECKING, Any

from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import Event, HomeAssistant, callback
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whatsapp_bridge.const import DOMAIN, EVENT_MESSAGE_RECEIVED
from tests.reliability.addon_process import (
    ADDON_DIR,
    DEFAULT_JID,
    MAIN,
    AddonProcess,
    wait_for,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

BENCH_DIR = Path(__file__).parent
NODE = shutil.which("node") or "node"
MB = 1024 * 1024
# The Pi-like profile: every thread of the measured process on the first core.
ONE_CORE = ["taskset", "-c", "0"]
PROFILES = {"two_cores": [], "one_core": ONE_CORE}


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


@functools.cache
def heap_ceiling_mb() -> int:
    """The V8 old-space ceiling the service gets from its default settings, as in production."""
    out = subprocess.run(  # noqa: S603 - a fixed script of this repository
        [NODE, "scripts/heap-limit.mjs"],
        cwd=ADDON_DIR,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ.get("PATH", "")},
    )
    return int(out.stdout)


def profiling_args(name: str, tmp_path: Path) -> list[str]:
    """`--cpu-prof` into WA_BENCH_PROFILE_DIR when set, to show what bounds a missed goal."""
    directory = os.environ.get("WA_BENCH_PROFILE_DIR")
    if not directory:
        return []
    Path(directory).mkdir(parents=True, exist_ok=True)
    return [
        "--cpu-prof",
        f"--cpu-prof-dir={directory}",
        f"--cpu-prof-name={name}.cpuprofile",
    ]


class BenchAddon(AddonProcess):
    """The add-on, optionally started under a launcher such as `taskset`."""

    def __init__(self, *args: Any, launcher: list[str], **kwargs: Any) -> None:
        """As AddonProcess, plus the command put in front of node."""
        super().__init__(*args, **kwargs)
        self.launcher = launcher

    async def start(self, *, within: float = 30) -> None:
        """Run the service and wait until `/health` answers."""
        await self._launch(
            [*self.launcher, NODE, *self.node_args, str(MAIN)],
            {**self.service_env(), **self.extra_env},
            what="the add-on to start",
            within=within,
        )


async def start_addon(
    tmp_path: Path,
    name: str,
    *,
    node_args: list[str] | None = None,
    launcher: list[str] | None = None,
    **env: str,
) -> BenchAddon:
    """An add-on at the default log level and heap ceiling, as users run it."""
    # The load generator is one address with more parallel requests than a Home Assistant makes.
    env = {"WA_MAX_CONNECTIONS_PER_CLIENT": "1024", **env}
    addon = BenchAddon(
        tmp_path / f"{name}-data",
        tmp_path / f"{name}.log",
        log_level="info",
        engine=env.pop("engine", "simulator"),
        env=env,
        node_args=[
            f"--max-old-space-size={heap_ceiling_mb()}",
            *profiling_args(name, tmp_path),
            *(node_args or []),
        ],
        launcher=launcher or [],
    )
    await addon.start()
    return addon


async def setup_entry(
    hass: HomeAssistant, url: str, api_key: str, *, jid: str = DEFAULT_JID
) -> MockConfigEntry:
    """Load the integration for the add-on at `url`, as the config flow would have."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="+" + jid.partition("@")[0],
        unique_id=jid,
        data={CONF_URL: url, CONF_API_KEY: api_key},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def unload_all(hass: HomeAssistant) -> None:
    """Unload every entry of this integration (end of a benchmark)."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        await hass.config_entries.async_unload(entry.entry_id)


def heap_figures(usage: dict[str, int]) -> dict[str, float]:
    """process.memoryUsage() in MB, as the report shows it."""
    return {
        "rss_mb": round(usage["rss"] / MB, 1),
        "heap_total_mb": round(usage["heapTotal"] / MB, 1),
        "heap_used_mb": round(usage["heapUsed"] / MB, 1),
    }


def rss_bytes_of(pid: int) -> int:
    """Resident memory of a process right now."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc status")


async def rss_mb(process: AddonProcess | int, *, samples: int = 5) -> float:
    """Median resident memory over a second."""
    pid = process if isinstance(process, int) else process.pid
    readings = []
    for _ in range(samples):
        readings.append(rss_bytes_of(pid) / MB)
        await asyncio.sleep(1 / samples)
    return round(statistics.median(readings), 1)


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

    def __init__(self, hass: HomeAssistant, *, extra_event: str | None = None) -> None:
        """Listen to this integration's events (and a baseline's, when named)."""
        self.at: dict[str, dict[str, int]] = {"push": {}}
        self.counts: Counter[str] = Counter()
        self.last_ns = 0
        self._unsubscribe = [
            hass.bus.async_listen(EVENT_MESSAGE_RECEIVED, self._on_ours)
        ]
        if extra_event:
            self._unsubscribe.append(
                hass.bus.async_listen(extra_event, self._on_polled)
            )

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

    def last_of(self, ids: set[str]) -> int:
        """When the last of `ids` arrived (0 while any is missing)."""
        times = [self.at["push"].get(message_id) for message_id in ids]
        return 0 if None in times else max(t for t in times if t is not None)

    def lost_and_duplicated(self, ids: set[str]) -> tuple[int, int]:
        """Ids never fired, and extra firings of ids that were."""
        lost = len(ids - self.counts.keys())
        duplicated = sum(self.counts[i] - 1 for i in ids if self.counts[i] > 1)
        return lost, duplicated

    async def numbered_on_the_bus(
        self, prefix: str, count: int, since_ns: int, what: str
    ) -> tuple[float, int, int]:
        """Wait for ids `prefix000000` onwards (the load client's numbering) to be fired.

        Seconds from `since_ns` until the last of them fired, and how many were lost and duplicated.
        """
        ids = {f"{prefix}{n:06d}" for n in range(count)}

        async def last_fired() -> int:
            return self.last_of(ids)

        last = await wait_for(last_fired, within=600, what=what, interval=0.05)
        return (round((last - since_ns) / 1e9, 2), *self.lost_and_duplicated(ids))

    def close(self) -> None:
        """Stop listening."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
