"""Test helpers: waiting for conditions, and driving flows like the frontend does."""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import TYPE_CHECKING

from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import EVENT_DATA_ENTRY_FLOW_PROGRESSED
import pytest

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from homeassistant.config_entries import ConfigFlowResult


async def wait_until(
    condition: Callable[[], bool | Awaitable[bool]],
    *,
    within: float = 10,
    what: str = "the condition",
) -> None:
    """Poll `condition` until it holds; fail the test after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {within} s waiting for {what}")
        await asyncio.sleep(0.02)


class FlowProgress:
    """Follows a config flow the way the frontend does.

    The frontend re-fetches a flow (which runs its current step again) each
    time Home Assistant announces that a progress step has moved on.
    """

    def __init__(self, hass: HomeAssistant, flow_id: str) -> None:
        """Start listening before anything can make the flow move on."""
        self._hass = hass
        self._flow_id = flow_id
        self._progressed = asyncio.Event()
        self._unsubscribe = hass.bus.async_listen(
            EVENT_DATA_ENTRY_FLOW_PROGRESSED, self._on_progress
        )

    @callback
    def _on_progress(self, event: Event) -> None:
        if event.data["flow_id"] == self._flow_id:
            self._progressed.set()

    async def next_step(self, within: float = 10) -> ConfigFlowResult:
        """Wait for the flow to move on by itself, then fetch its new step."""
        try:
            async with asyncio.timeout(within):
                await self._progressed.wait()
        except TimeoutError:
            pytest.fail(f"The flow did not move on by itself within {within} s")
        self._progressed.clear()
        return await self._hass.config_entries.flow.async_configure(self._flow_id)

    def close(self) -> None:
        """Stop listening."""
        self._unsubscribe()
