"""Notifications over WhatsApp: an entity per recipient, and legacy notify services."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, cast

from homeassistant.components.notify import NotifyEntity
from homeassistant.components.notify.const import (
    ATTR_DATA,
    ATTR_TARGET,
    ATTR_TITLE,
    NotifyEntityFeature,
)
from homeassistant.components.notify.legacy import BaseNotificationService
from homeassistant.const import CONF_NAME, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, discovery
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.util.hass_dict import HassKey
import probatio

from .const import (
    ATTR_LOCATION,
    ATTR_MENTIONS,
    ATTR_REPLY_TO,
    CONF_RECIPIENT,
    DOMAIN,
    GROUP_SUFFIX,
    SUBENTRY_RECIPIENT,
)
from .entity import WhatsAppEntity
from .messaging import Outgoing, async_send, loaded_client, with_title
from .send_actions import location, outgoing_media
from .services import LOCATION_FIELDS, MEDIA_AND_REPLY_FIELDS

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigSubentry
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
    from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

    from .coordinator import WhatsAppConfigEntry, WhatsAppSessionCoordinator

# The add-on queues and paces every send itself.
PARALLEL_UPDATES = 0

# Discovery info of a legacy notify service: besides its name (`CONF_NAME`,
# which Home Assistant names the service after), the account it sends from;
# none means the account set up first.
ATTR_ACCOUNT: Final = "account"
OFFERED_LEGACY_SERVICES: HassKey[set[str]] = HassKey(
    f"{DOMAIN}_offered_legacy_notify_services"
)
LEGACY_SERVICES: HassKey[dict[str, WhatsAppNotificationService]] = HassKey(
    f"{DOMAIN}_legacy_notify_services"
)

NOTIFY_DATA_SCHEMA: Final = probatio.Schema(
    {
        **MEDIA_AND_REPLY_FIELDS,
        probatio.Optional(ATTR_LOCATION): probatio.Schema(LOCATION_FIELDS),
    }
)


def legacy_service_name(account_jid: str | None) -> str:
    """`whatsapp_bridge` for the first account, `whatsapp_bridge_<digits>` for each."""
    if account_jid is None:
        return DOMAIN
    return f"{DOMAIN}_{account_jid.partition('@')[0]}"


@callback
def async_offer_legacy_services(
    hass: HomeAssistant, entry: WhatsAppConfigEntry, hass_config: ConfigType
) -> None:
    """Offer `notify.whatsapp_bridge` and `notify.whatsapp_bridge_<digits>`, each once.

    They outlive reloads of the entry: they look the account up on each call.
    """
    offered = hass.data.setdefault(OFFERED_LEGACY_SERVICES, set())
    for account in (None, entry.unique_id):
        name = legacy_service_name(account)
        if name in offered:
            continue
        offered.add(name)
        hass.async_create_task(
            discovery.async_load_platform(
                hass,
                Platform.NOTIFY,
                DOMAIN,
                {CONF_NAME: name, ATTR_ACCOUNT: account},
                hass_config,
            ),
            f"{DOMAIN} legacy notify service {name}",
        )


async def async_remove_legacy_service(
    hass: HomeAssistant, account_jid: str | None
) -> None:
    """Remove a legacy notify service when its account is removed."""
    name = legacy_service_name(account_jid)
    hass.data.get(OFFERED_LEGACY_SERVICES, set()).discard(name)
    if service := hass.data.get(LEGACY_SERVICES, {}).pop(name, None):
        await service.async_unregister_services()


async def async_setup_entry(
    hass: HomeAssistant,
    entry: WhatsAppConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a notify entity per recipient, also for recipients added later."""
    coordinator = entry.runtime_data.coordinator
    # `async_setup_entry` registers the account's device before the platforms.
    account_device = cast(
        "dr.DeviceEntry",
        dr.async_get(hass).async_get_device_by_identifier(
            (DOMAIN, coordinator.account_jid), entry.entry_id
        ),
    )
    added: set[str] = set()

    @callback
    def async_add_new_recipients() -> None:
        for subentry_id, subentry in entry.subentries.items():
            if subentry.subentry_type != SUBENTRY_RECIPIENT or subentry_id in added:
                continue
            added.add(subentry_id)
            async_add_entities(
                [WhatsAppRecipientNotify(coordinator, subentry, account_device.id)],
                config_subentry_id=subentry_id,
            )

    async def async_entry_updated(
        hass: HomeAssistant, entry: WhatsAppConfigEntry
    ) -> None:
        # Removed recipients go with their entity registry entries.
        async_add_new_recipients()

    async_add_new_recipients()
    entry.async_on_unload(entry.add_update_listener(async_entry_updated))


class WhatsAppRecipientNotify(WhatsAppEntity, NotifyEntity):
    """Sends notifications to one person or group.

    Each recipient is a device of its own, reached through the account's device:
    a device belongs to one config subentry.
    """

    _attr_supported_features = NotifyEntityFeature.TITLE
    _attr_name = None

    def __init__(
        self,
        coordinator: WhatsAppSessionCoordinator,
        subentry: ConfigSubentry,
        account_device_id: str,
    ) -> None:
        """Name the recipient's device after the recipient."""
        super().__init__(coordinator, f"recipient_{subentry.subentry_id}")
        self._recipient: str = subentry.data[CONF_RECIPIENT]
        account = coordinator.account_jid
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"{account}_{subentry.subentry_id}")},
            entry_type=DeviceEntryType.SERVICE,
            manufacturer="WhatsApp",
            model="Group" if self._recipient.endswith(GROUP_SUFFIX) else "Contact",
            name=subentry.title,
            via_device_id=account_device_id,
        )

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send the message, with the title in bold above it."""
        await async_send(
            self.hass,
            self.coordinator.client,
            [self._recipient],
            Outgoing(text=with_title(message, title)),
        )


async def async_get_service(
    hass: HomeAssistant,
    config: ConfigType,
    discovery_info: DiscoveryInfoType | None = None,
) -> WhatsAppNotificationService | None:
    """Create a legacy notify service announced by an entry; none from YAML."""
    if discovery_info is None:
        return None
    service = WhatsAppNotificationService(discovery_info[ATTR_ACCOUNT])
    hass.data.setdefault(LEGACY_SERVICES, {})[discovery_info[CONF_NAME]] = service
    return service


class WhatsAppNotificationService(BaseNotificationService):
    """`notify.whatsapp_bridge…`: for notify groups, `alert` and other notify users.

    The account is looked up on every call, so the service keeps working when
    its entry reloads.
    """

    def __init__(self, account_jid: str | None) -> None:
        """Send from this account, or from the one set up first."""
        self._account_jid = account_jid

    def _entry(self) -> WhatsAppConfigEntry:
        entries = self.hass.config_entries.async_entries(
            DOMAIN, include_ignore=False, include_disabled=False
        )
        for entry in entries:
            if self._account_jid in (None, entry.unique_id):
                return entry
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="no_entry"
        )

    async def async_send_message(self, message: str, **kwargs: Any) -> None:
        """Send to the targets given, or else to every recipient of the account."""
        entry = self._entry()
        try:
            data = NOTIFY_DATA_SCHEMA(kwargs.get(ATTR_DATA) or {})
        except probatio.Invalid as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_notify_data",
                translation_placeholders={"error": str(err)},
            ) from err
        targets: list[str] = kwargs.get(ATTR_TARGET) or [
            subentry.data[CONF_RECIPIENT]
            for subentry in entry.subentries.values()
            if subentry.subentry_type == SUBENTRY_RECIPIENT
        ]
        if not targets:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_target"
            )
        await async_send(
            self.hass,
            loaded_client(entry),
            targets,
            Outgoing(
                text=with_title(message, kwargs.get(ATTR_TITLE)),
                media=outgoing_media(data),
                location=location(data[ATTR_LOCATION])
                if ATTR_LOCATION in data
                else None,
                reply_to=data.get(ATTR_REPLY_TO),
                mentions=tuple(data.get(ATTR_MENTIONS, ())),
            ),
        )
