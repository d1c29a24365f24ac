"""The two processes compared in one run: the add-on, and bare Baileys on the same fake network.

Both carry the fake WhatsApp network in-process (the add-on runs it with WA_ENGINE=simulator;
bench/bare-baileys.mjs composes the same one), both serve bench/network-control.mjs, and both
take `POST /v1/simulator/incoming`, answered once the message is journalled (add-on) or emitted
as `messages.upsert` (bare). So the same load client drives both, and the difference between
them is what the add-on adds on top of Baileys.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from harness import (
    BENCH_DIR,
    NODE,
    PROFILES,
    Arrivals,
    BenchAddon,
    profiling_args,
    setup_entry,
    start_addon,
    unload_all,
)

from tests.reliability.addon_process import free_port, wait_for

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from conftest import BenchSizes
    from homeassistant.core import HomeAssistant

SENDER = "+4917612345678"
# Each add-on gets its own phone, so Home Assistant can hold an entry for each at once.
PHONES = {"two_cores": "+15550000001", "one_core": "+15550000002"}


def jid_of(phone: str) -> str:
    """The account's jid, as the integration's entry names it."""
    return f"{phone.lstrip('+')}@s.whatsapp.net"


@dataclass(frozen=True, slots=True)
class ProcessCost:
    """CPU time and context switches of a process (all its threads) so far."""

    cpu_s: float
    voluntary: int
    involuntary: int

    @staticmethod
    def of(pid: int) -> ProcessCost:
        """Read utime+stime from /proc/<pid>/stat and each thread's switches from its status."""
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        # After the command name: field 3 (state) is index 0, so utime (14) and stime (15) are 11, 12.
        cpu_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        voluntary = involuntary = 0
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                status = (task / "status").read_text()
            except FileNotFoundError:  # the thread ended meanwhile
                continue
            for line in status.splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    voluntary += int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches:"):
                    involuntary += int(line.split()[1])
        return ProcessCost(cpu_s, voluntary, involuntary)

    def per_minute_since(
        self, earlier: ProcessCost, seconds: float
    ) -> dict[str, float]:
        """CPU seconds and wake-ups (voluntary switches) per minute between two readings."""
        scale = 60 / seconds
        return {
            "cpu_s_per_min": round((self.cpu_s - earlier.cpu_s) * scale, 3),
            "wakeups_per_min": round((self.voluntary - earlier.voluntary) * scale, 1),
            "involuntary_per_min": round(
                (self.involuntary - earlier.involuntary) * scale, 1
            ),
        }


@dataclass(slots=True)
class Subject:
    """One measured process: where to send messages, where its network control answers."""

    kind: str  # "addon" or "bare"
    profile: str
    pid: int
    url: str
    key: str
    control_url: str
    phone: str
    addon: BenchAddon | None = None
    bare: asyncio.subprocess.Process | None = None
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """E.g. `addon-one_core`, for file names and prefixes."""
        return f"{self.kind}-{self.profile}"

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        """A request to its bench/network-control.mjs routes."""
        async with (
            aiohttp.ClientSession() as http,
            http.request(
                method,
                f"{self.control_url}{path}",
                json=body,
                timeout=aiohttp.ClientTimeout(total=600),
            ) as response,
        ):
            data = await response.json(content_type=None)
            assert response.status == 200, f"{method} {path} → {response.status} {data}"
            return data

    async def heap_after_gc(self) -> dict[str, int]:
        """process.memoryUsage() right after a full collection."""
        return dict(await self.control("POST", "/gc"))

    async def close(self) -> None:
        """End the process; gently when profiling, since node writes its CPU profile on exit."""
        gently = bool(os.environ.get("WA_BENCH_PROFILE_DIR"))
        if self.addon is not None:
            if gently:
                await self.addon.stop()
            await self.addon.close()
        if self.bare is not None and self.bare.returncode is None:
            if gently:
                self.bare.terminate()
            else:
                self.bare.kill()
            await self.bare.wait()


async def start_addon_subject(
    tmp_path: Path, profile: str, launcher: list[str]
) -> Subject:
    """The add-on with the network control loaded, linked to its phone."""
    control_port = free_port()
    addon = await start_addon(
        tmp_path,
        f"addon-{profile}",
        node_args=["--expose-gc", "--import", str(BENCH_DIR / "addon-preload.mjs")],
        launcher=launcher,
        WA_BENCH_CONTROL_PORT=str(control_port),
    )
    phone = PHONES[profile]
    await addon.link(phone)
    return Subject(
        kind="addon",
        profile=profile,
        pid=addon.pid,
        url=addon.url,
        key=addon.api_key,
        control_url=f"http://127.0.0.1:{control_port}",
        phone=phone,
        addon=addon,
    )


async def start_bare_subject(
    tmp_path: Path, profile: str, launcher: list[str]
) -> Subject:
    """bench/bare-baileys.mjs, linked (it scans its own QR code) and connected."""
    port = free_port()
    data_dir = tmp_path / f"bare-{profile}-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    config = {"dataDir": str(data_dir), "port": port, "phone": PHONES[profile]}
    with (tmp_path / f"bare-{profile}.log").open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            *launcher,
            NODE,
            "--expose-gc",
            *profiling_args(f"bare-{profile}", tmp_path),
            str(BENCH_DIR / "bare-baileys.mjs"),
            json.dumps(config),
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
        )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    assert line, f"bare Baileys exited with {await process.wait()}"
    # taskset execs node, so the process id is node's own.
    assert json.loads(line)["pid"] == process.pid
    return Subject(
        kind="bare",
        profile=profile,
        pid=process.pid,
        url=f"http://127.0.0.1:{port}",
        key="",
        control_url=f"http://127.0.0.1:{port}",
        phone=PHONES[profile],
        bare=process,
    )


async def offline_backlog(
    subject: Subject, count: int, *, within: float
) -> dict[str, Any]:
    """Contacts write `count` texts while the account is away; its catch-up at the next login.

    Returns when the subject has finished with all of them (journalled, or emitted by Baileys),
    with its times in CLOCK_MONOTONIC nanoseconds.
    """
    prefix = f"AWAY{subject.kind[0].upper()}{subject.profile[0].upper()}"
    held = await subject.control(
        "POST", "/backlog", {"count": count, "from": SENDER, "prefix": prefix}
    )

    async def caught_up() -> dict[str, Any] | None:
        state = await subject.control("GET", "/backlog")
        return state if state["seen"] == state["count"] else None

    state = await wait_for(
        caught_up, within=within, what=f"{subject.label} to catch up", interval=0.1
    )
    return {
        "prefix": prefix,
        "prepared_ms": held["prepared_ms"],
        "handed_over_ns": int(state["handed_over_ns"]),
        "sent_ns": int(state["sent_ns"]),
        "last_seen_ns": int(state["last_seen_ns"]),
        "seconds": round(
            (int(state["last_seen_ns"]) - int(state["handed_over_ns"])) / 1e9, 2
        ),
        "finished_at": time.monotonic_ns(),
    }


@asynccontextmanager
async def pairs_on_home_assistant(
    hass: HomeAssistant, tmp_path: Path, sizes: BenchSizes, idle_s: float
) -> AsyncIterator[tuple[list[Subject], Arrivals]]:
    """An add-on and a bare Baileys per profile, linked, connected and idle for `idle_s`.

    Home Assistant holds its long poll to each add-on all along, as at home; what reaches its bus
    is in the Arrivals. Everything is unloaded and stopped on the way out.
    """
    arrivals = Arrivals(hass)
    subjects: list[Subject] = []
    try:
        for profile in sizes.profiles:
            launcher = PROFILES[profile]
            subjects.append(await start_addon_subject(tmp_path, profile, launcher))
            subjects.append(await start_bare_subject(tmp_path, profile, launcher))
        connected = time.monotonic()
        for subject in subjects:
            if subject.kind == "addon":
                await setup_entry(
                    hass, subject.url, subject.key, jid=jid_of(subject.phone)
                )
        await asyncio.sleep(max(0.0, connected + idle_s - time.monotonic()))
        yield subjects, arrivals
    finally:
        arrivals.close()
        await unload_all(hass)
        for subject in subjects:
            await subject.close()
