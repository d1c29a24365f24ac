"""Send overhead: `POST /v1/messages` one at a time with pacing off, until the contact decrypted all."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness import percentiles, run_client, start_addon
import pytest

from tests.reliability.addon_process import wait_for

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import BenchSizes


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
