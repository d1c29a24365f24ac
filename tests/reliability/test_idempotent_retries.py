"""Sends whose client gives up and retries with the same Idempotency-Key go out exactly once.

Each client timeout is drawn at random around the add-on's own answer time, so
some requests are dropped before they arrive, some while the message is being
sent, and some after it went out but before the answer came back. Every retry
reuses the key and body, with a longer timeout, until an answer arrives.
"""

from __future__ import annotations

import asyncio
from collections import Counter
import random
import time
from typing import TYPE_CHECKING

import aiohttp

from .addon_process import AddonProcess

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.core import HomeAssistant

    from .conftest import Sizes

IN_FLIGHT = 8
FIRST_TIMEOUT_RANGE = (0.0005, 0.03)
ATTEMPTS = 30


async def test_retried_sends_reach_the_outbox_exactly_once(
    hass: HomeAssistant, tmp_path: Path, socket_enabled: None, sizes: Sizes
) -> None:
    """Every message is in the simulator's outbox once, under the id its key answered."""
    rng = random.Random()  # noqa: S311 - test data, not secrets
    addon = AddonProcess(
        tmp_path / "addon-data",
        tmp_path / "addon.log",
        env={"WA_SEND_RATE_PER_MINUTE": "0"},
    )
    answered: dict[str, str] = {}
    timeouts = Counter[str]()
    try:
        await addon.start()
        await addon.link()
        run = rng.randrange(10**9)

        async def send_until_answered(n: int) -> None:
            key = f"retry-{run}-{n}"
            body = {"to": "+4917612345678", "type": "text", "text": key}
            timeout = rng.uniform(*FIRST_TIMEOUT_RANGE)
            for _ in range(ATTEMPTS):
                try:
                    status, answer = await addon.call(
                        "POST",
                        "/v1/messages",
                        body,
                        headers={"Idempotency-Key": key},
                        time_limit=timeout,
                    )
                except TimeoutError, aiohttp.ClientError:
                    timeouts[key] += 1
                    timeout *= 2
                    continue
                assert status == 200, (key, status, answer)
                answered[key] = answer["id"]
                return
            raise AssertionError(f"{key} got no answer in {ATTEMPTS} attempts")

        pending = iter(range(sizes.retried_sends))

        async def client() -> None:
            for n in pending:
                await send_until_answered(n)

        started = time.monotonic()
        await asyncio.gather(*(client() for _ in range(IN_FLIGHT)))
        seconds = time.monotonic() - started

        outbox = (await addon.request("GET", "/v1/simulator/outbox"))["messages"]
        sent = Counter(entry["text"] for entry in outbox if entry["type"] == "text")
        summary = (
            f"{sizes.retried_sends} sends, {sum(timeouts.values())} timeouts "
            f"on {len(timeouts)} of them, {seconds:.1f} s"
        )
        assert {key: n for key, n in sent.items() if n != 1} == {}, summary
        assert set(sent) == set(answered), summary
        ids_by_text = {entry["text"]: entry["id"] for entry in outbox}
        assert all(ids_by_text[key] == answered[key] for key in answered), summary
        # The test means nothing unless clients really gave up mid-way.
        assert len(timeouts) >= sizes.retried_sends // 5, summary
    finally:
        await addon.close()
