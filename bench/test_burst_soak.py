"""A burst of E2E-encrypted messages, as fast as each side takes them, and the memory it leaves.

The add-on journals each message while Home Assistant reads the journal through the real
listener; bare Baileys gets the same burst from the same client and only emits the messages.
Each process is then left idle and its RSS read again, and once more after a full GC.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import heap_figures, rss_mb, run_client
import pytest
from subjects import Subject, pairs_on_home_assistant

if TYPE_CHECKING:
    from conftest import BenchSizes
    from homeassistant.core import HomeAssistant


async def burst(subject: Subject, count: int, concurrency: int) -> dict[str, Any]:
    """`count` messages through `POST /v1/simulator/incoming`, `concurrency` at a time."""
    prefix = f"BURST{subject.kind[0].upper()}{subject.profile[0].upper()}"
    injected = await run_client(
        {
            "mode": "burst",
            "url": subject.url,
            "key": subject.key,
            "count": count,
            "concurrency": concurrency,
            "prefix": prefix,
        },
        time_limit=1800,
    )
    assert injected["acknowledged"] == count
    seconds = (int(injected["finished_ns"]) - int(injected["started_ns"])) / 1e9
    return {
        "prefix": prefix,
        "started_ns": int(injected["started_ns"]),
        "seconds": round(seconds, 2),
        "per_s": round(count / seconds),
    }


async def memory_after_idle(subject: Subject, idle_s: float) -> None:
    """RSS `idle_s` after the load, then live heap after a full collection."""
    await asyncio.sleep(idle_s)
    subject.figures["after_load_rss_mb"] = await rss_mb(subject.pid)
    subject.figures["after_load_gc"] = heap_figures(await subject.heap_after_gc())
    if directory := os.environ.get("WA_BENCH_PROFILE_DIR"):
        # What is left on the heap after the load, to show what bounds a missed memory goal.
        snapshot = Path(directory, f"{subject.label}-after-load.heapsnapshot")
        await subject.control("POST", "/profile/heap", {"path": str(snapshot)})


@pytest.mark.usefixtures("enable_custom_integrations", "socket_enabled")
async def test_burst_and_memory_against_bare_baileys(
    hass: HomeAssistant, tmp_path: Path, sizes: BenchSizes, results: dict[str, Any]
) -> None:
    """Burst throughput, then RSS after it and idle, add-on ÷ bare Baileys, per profile."""
    idling: list[asyncio.Task[None]] = []
    async with pairs_on_home_assistant(
        hass, tmp_path, sizes, sizes.idle_before_load_s
    ) as (subjects, arrivals):
        try:
            for subject in subjects:
                subject.figures["idle_rss_mb"] = await rss_mb(subject.pid)

            for subject in subjects:
                count = sizes.soak_messages[subject.profile]
                figures = await burst(subject, count, sizes.burst_concurrency)
                if subject.kind == "addon":
                    (
                        figures["fired_s"],
                        figures["lost"],
                        figures["duplicated"],
                    ) = await arrivals.numbered_on_the_bus(
                        figures["prefix"],
                        count,
                        figures["started_ns"],
                        "the burst on the bus",
                    )
                subject.figures["burst"] = figures
                # Each one idles while the next is loaded: an idle process's RSS does not depend on it.
                idling.append(
                    asyncio.create_task(
                        memory_after_idle(subject, sizes.idle_after_load_s)
                    )
                )
            await asyncio.gather(*idling)
        finally:
            for task in idling:
                task.cancel()

    vs_bare = results.setdefault("vs_bare", {})
    for subject in subjects:
        burst_figures = {
            k: v
            for k, v in subject.figures.pop("burst").items()
            if not k.endswith("_ns")
        }
        soak = vs_bare.setdefault(subject.profile, {}).setdefault(
            "soak",
            {
                "messages": sizes.soak_messages[subject.profile],
                "concurrency": sizes.burst_concurrency,
            },
        )
        soak[subject.kind] = {**subject.figures, "burst": burst_figures}
    for subject in subjects:
        if subject.kind == "addon":
            soak = vs_bare[subject.profile]["soak"]["addon"]["burst"]
            assert (soak["lost"], soak["duplicated"]) == (0, 0)
