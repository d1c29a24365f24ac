"""Coordinator for the state of the add-on's WhatsApp session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from homeassistant.config_entries import ConfigEntry
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import (
    Session,
    SessionState,
    WhatsAppAccountNotFoundError,
    WhatsAppAuthError,
    WhatsAppClient,
    WhatsAppError,
)
from .const import DOMAIN, LOGGER, SESSION_UPDATE_INTERVAL, account_device_name
from .issues import async_report_storage

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .listener import WhatsAppEventListener


@dataclass(slots=True)
class WhatsAppRuntimeData:
    """What a loaded config entry keeps while it runs."""

    client: WhatsAppClient
    coordinator: WhatsAppSessionCoordinator
    listener: WhatsAppEventListener


type WhatsAppConfigEntry = ConfigEntry[WhatsAppRuntimeData]


@dataclass(frozen=True, slots=True)
class WhatsAppStatus:
    """The session as last fetched, with the version of the add-on serving it."""

    session: Session
    addon_version: str


class WhatsAppSessionCoordinator(DataUpdateCoordinator[WhatsAppStatus]):
    """Fetches the session; `connection` journal events trigger an early refresh."""

    config_entry: WhatsAppConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: WhatsAppConfigEntry, client: WhatsAppClient
    ) -> None:
        """Poll slowly: the event listener asks for a refresh whenever the state changes."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=SESSION_UPDATE_INTERVAL,
        )
        self.client = client
        # The config flow creates every entry with the account's jid as unique id.
        self.account_jid = cast("str", entry.unique_id)

    async def _async_update_data(self) -> WhatsAppStatus:
        try:
            session = await self.client.session()
            health = await self.client.health()
        except WhatsAppAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_api_key"
            ) from err
        except WhatsAppAccountNotFoundError as err:
            # Deleted in the add-on; re-authentication links the number again.
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="account_not_found",
                translation_placeholders={"account": self.client.account},
            ) from err
        except WhatsAppError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="addon_unreachable",
                translation_placeholders={"error": str(err)},
            ) from err
        if not self._account_is_linked(session):
            if self.data is None:
                # Still setting up: do not load an entry whose account is gone.
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN, translation_key="not_linked"
                )
            # Loaded entries keep running, so the sensor can show why.
            self.config_entry.async_start_reauth(self.hass)
        async_report_storage(
            self.hass,
            self.config_entry.entry_id,
            health.storage_problem,
            self.client.url,
        )
        self._update_device(session, health.version)
        return WhatsAppStatus(session=session, addon_version=health.version)

    def _account_is_linked(self, session: Session) -> bool:
        """Whether the add-on is (still) linked to this entry's account."""
        if session.state in (SessionState.LOGGED_OUT, SessionState.PAIRING):
            return False
        return session.me is None or session.me.jid == self.account_jid

    def _update_device(self, session: Session, version: str) -> None:
        """Follow the account's WhatsApp name and the app version that answers now."""
        registry = dr.async_get(self.hass)
        device = registry.async_get_device_by_identifier(
            (DOMAIN, self.account_jid), self.config_entry.entry_id
        )
        if device is None:
            return
        name = device.name
        if session.me is not None and session.me.jid == self.account_jid:
            name = account_device_name(session.me.name)
        if device.sw_version != version or device.name != name:
            registry.async_update_device(device.id, name=name, sw_version=version)
