"""Calling the integration's actions as an automation does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from custom_components.whatsapp_bridge.const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


async def call(
    hass: HomeAssistant, action: str, data: dict[str, Any], *, response: bool = False
) -> Any:
    """Call a WhatsApp action the way an automation does."""
    return await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=response
    )
