"""Catch-up after Home Assistant was offline: the journal waiting, read and fired as fast as it goes.

This is the integration's own side; the add-on's catch-up after WhatsApp's offline queue, against
bare Baileys, is in test_baseline.py.
"""

from __future__ import annotations

from contextlib import suppress
import time
from typing import TYPE_CHECKING, Any

from harness import Arrivals, run_client, setup_entry, start_addon, unload_all
import pytest

from tests.reliability.addon_process import wait_for

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import BenchSizes
    from homeassistant.core import HomeAssistant


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
        await unload_all(hass)
        await addon.close()
