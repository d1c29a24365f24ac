"""Base entity of the WhatsApp integration."""

from __future__ import annotations

import re

from homeassistant.const import CONF_URL
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from yarl import URL

from .const import DOMAIN, account_device_name, phone_from_jid
from .coordinator import WhatsAppSessionCoordinator

# The Supervisor reaches an app at a host name made of its slug, with `-` for `_`:
# `a0d7b954-whatsapp` for the app `a0d7b954_whatsapp`, `local-whatsapp` for a local one.
_APP_HOST = re.compile(
    r"(?P<repository>[0-9a-f]{8}|local)-(?P<name>[a-z0-9][a-z0-9-]*)"
)


def app_ingress_url(url: str) -> str | None:
    """Return the app's page in Home Assistant, when the URL is a Supervisor app's."""
    host = URL(url).host or ""
    if (match := _APP_HOST.fullmatch(host)) is None:
        return None
    slug = f"{match['repository']}_{match['name'].replace('-', '_')}"
    return f"homeassistant://hassio/ingress/{slug}"


def account_device_info(coordinator: WhatsAppSessionCoordinator) -> DeviceInfo:
    """Describe the linked account's device: named, never numbered, in ids."""
    jid = coordinator.account_jid
    me = coordinator.data.session.me
    return DeviceInfo(
        identifiers={(DOMAIN, jid)},
        configuration_url=app_ingress_url(coordinator.config_entry.data[CONF_URL]),
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="WhatsApp",
        model="Linked device",
        name=account_device_name(me.name if me is not None else None),
        serial_number=phone_from_jid(jid),
        sw_version=coordinator.data.addon_version,
    )


class WhatsAppEntity(CoordinatorEntity[WhatsAppSessionCoordinator]):
    """An entity on the device that stands for the linked WhatsApp account."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: WhatsAppSessionCoordinator, key: str) -> None:
        """Attach the entity to the account's device."""
        super().__init__(coordinator)
        self._attr_unique_id = f"{coordinator.account_jid}_{key}"
        self._attr_device_info = account_device_info(coordinator)
