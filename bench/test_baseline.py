"""The add-on against bare Baileys, in one run: idle memory and CPU, and the offline catch-up.

Both processes link, sit idle, are measured, then each gets an offline backlog at its next login.
The Pi-like profile runs the same pair pinned to one core (`taskset -c 0`) beside the first pair:
while idle they barely touch each other, and the catch-ups run one at a time.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from harness import BENCH_DIR, heap_figures, rss_mb, start_addon
import pytest
from subjects import ProcessCost, offline_backlog, pairs_on_home_assistant

from tests.reliability.addon_process import free_port, wait_for

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import BenchSizes
    from homeassistant.core import HomeAssistant


@pytest.mark.usefixtures("enable_custom_integrations", "socket_enabled")
async def test_idle_and_offline_catch_up_against_bare_baileys(
    hass: HomeAssistant, tmp_path: Path, sizes: BenchSizes, results: dict[str, Any]
) -> None:
    """Idle RSS and CPU, then a backlog delivered at login, add-on ÷ bare Baileys."""
    figures = results.setdefault("vs_bare", {})
    async with pairs_on_home_assistant(
        hass, tmp_path, sizes, sizes.idle_after_connect_s
    ) as (subjects, arrivals):
        for subject in subjects:
            figures.setdefault(subject.profile, {}).setdefault("idle_rss_mb", {})[
                subject.kind
            ] = await rss_mb(subject.pid)

        before = {subject.label: ProcessCost.of(subject.pid) for subject in subjects}
        started = time.monotonic()
        await asyncio.sleep(sizes.idle_cpu_seconds)
        seconds = time.monotonic() - started
        for subject in subjects:
            cost = ProcessCost.of(subject.pid).per_minute_since(
                before[subject.label], seconds
            )
            figures[subject.profile].setdefault("idle_cpu", {})[subject.kind] = {
                **cost,
                "window_s": round(seconds),
            }

        for subject in subjects:
            count = sizes.backlog_messages[subject.profile]
            backlog = await offline_backlog(subject, count, within=900)
            entry = figures[subject.profile].setdefault("catch_up", {"messages": count})
            entry[subject.kind] = backlog["seconds"]
            if subject.kind == "addon":
                (
                    entry["addon_bus"],
                    entry["lost"],
                    entry["duplicated"],
                ) = await arrivals.numbered_on_the_bus(
                    backlog["prefix"],
                    count,
                    backlog["handed_over_ns"],
                    "the backlog on the bus",
                )


@pytest.mark.usefixtures("socket_enabled")
async def test_memory_with_the_baileys_engine_unreachable(
    tmp_path: Path, sizes: BenchSizes, results: dict[str, Any]
) -> None:
    """RSS of the add-on with the real Baileys engine loaded and its socket retrying."""
    # Nothing listens on this loopback port: the socket fails and backs off, as it would while
    # WhatsApp is unreachable. No traffic leaves the machine.
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
async def test_idle_memory_per_linked_account(
    tmp_path: Path, sizes: BenchSizes, results: dict[str, Any]
) -> None:
    """Idle RSS with 1, 2 and 3 linked accounts on one add-on: what one more number costs."""
    # With the network control loaded, so a full collection can take startup garbage out of the
    # figures: otherwise when V8 last collected decides more than the accounts do.
    control_port = free_port()
    addon = await start_addon(
        tmp_path,
        "accounts",
        node_args=["--expose-gc", "--import", str(BENCH_DIR / "addon-preload.mjs")],
        WA_BENCH_CONTROL_PORT=str(control_port),
    )
    per_count: dict[str, Any] = {}
    try:
        await addon.link()
        for count in (1, 2, 3):
            if count > 1:
                created = await addon.call("POST", "/v1/accounts", {})
                assert created[0] == 201, created
                account = created[1]["id"]

                async def pairing(account: str = account) -> bool:
                    session = await addon.request(
                        "GET", f"/v1/accounts/{account}/session"
                    )
                    return session["state"] == "pairing" and bool(session.get("qr"))

                await wait_for(pairing, within=30, what=f"{account} to show a QR code")
                await addon.request(
                    "POST",
                    f"/v1/accounts/{account}/simulator/scan",
                    {"phone": f"+1555000001{count}"},
                )
            await asyncio.sleep(sizes.idle_per_account_s)
            rss = await rss_mb(addon)
            async with (
                aiohttp.ClientSession() as http,
                http.post(f"http://127.0.0.1:{control_port}/gc") as response,
            ):
                after_gc = heap_figures(await response.json())
            per_count[str(count)] = {"rss_mb": rss, "after_gc": after_gc}
        results["accounts_rss_mb"] = per_count
    finally:
        await addon.close()
