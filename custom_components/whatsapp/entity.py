"""Base entity of the WhatsApp integration."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, phone_from_jid
from .coordinator import WhatsAppSessionCoordinator


class WhatsAppEntity(CoordinatorEntity[WhatsAppSessionCoordinator]):
    """An entity on the device that stands for the linked WhatsApp account."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: WhatsAppSessionCoordinator, key: str) -> None:
        """Attach the entity to the account's device."""
        super().__init__(coordinator)
        jid = coordinator.account_jid
        self._attr_unique_id = f"{jid}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, jid)},
            manufacturer="WhatsApp",
            model="Linked device",
            name=phone_from_jid(jid),
            sw_version=coordinator.data.addon_version,
        )
