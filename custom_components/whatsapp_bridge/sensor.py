"""Sensors of the WhatsApp integration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import EntityCategory

from .api import SessionState
from .entity import WhatsAppEntity

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import (
        WhatsAppConfigEntry,
        WhatsAppSessionCoordinator,
        WhatsAppStatus,
    )

# The coordinator does all fetching.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class WhatsAppSensorEntityDescription(SensorEntityDescription):
    """A sensor whose value is read from the session status."""

    value_fn: Callable[[WhatsAppStatus], str | None]


SENSORS: tuple[WhatsAppSensorEntityDescription, ...] = (
    WhatsAppSensorEntityDescription(
        key="connection",
        translation_key="connection",
        device_class=SensorDeviceClass.ENUM,
        entity_category=EntityCategory.DIAGNOSTIC,
        options=[state.value for state in SessionState],
        value_fn=lambda status: status.session.state.value,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: WhatsAppConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of one account."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        WhatsAppSensor(coordinator, description) for description in SENSORS
    )


class WhatsAppSensor(WhatsAppEntity, SensorEntity):
    """A sensor reading the session status."""

    entity_description: WhatsAppSensorEntityDescription

    def __init__(
        self,
        coordinator: WhatsAppSessionCoordinator,
        description: WhatsAppSensorEntityDescription,
    ) -> None:
        """Describe the sensor."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> str | None:
        """Return the current value."""
        return self.entity_description.value_fn(self.coordinator.data)
