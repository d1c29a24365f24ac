"""Repair flows of the WhatsApp integration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import (
    DEFAULT_ACCOUNT,
    WhatsAppAccountNotFoundError,
    WhatsAppAuthError,
    WhatsAppClient,
    WhatsAppError,
)
from .const import CONF_ACCOUNT
from .issues import ISSUE_DATA_PHONE, UNLINK_ACCOUNT

if TYPE_CHECKING:
    from homeassistant.components.repairs import RepairsFlowResult
    from homeassistant.core import HomeAssistant


class UnlinkAccountRepairFlow(RepairsFlow):
    """Unlink a removed entry's number from WhatsApp and delete its data in the add-on."""

    def __init__(self, data: dict[str, Any]) -> None:
        """Keep what reaches the account: the entry that knew it is gone."""
        self._url: str = data[CONF_URL]
        self._api_key: str = data[CONF_API_KEY]
        self._account: str = data[CONF_ACCOUNT]
        self._phone: str = data[ISSUE_DATA_PHONE]

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Ask before unlinking."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Unlink once confirmed; say what to do when the add-on cannot."""
        errors: dict[str, str] = {}
        if user_input is not None:
            client = WhatsAppClient(
                self._url,
                self._api_key,
                async_get_clientsession(self.hass),
                account=self._account,
            )
            try:
                if self._account == DEFAULT_ACCOUNT:
                    # The account `default` always exists: unlink it only.
                    await client.logout()
                else:
                    await client.delete_account(self._account)
            except WhatsAppAccountNotFoundError:
                pass  # Deleted meanwhile, say from the add-on's web page.
            except WhatsAppAuthError:
                errors["base"] = "invalid_auth"
            except WhatsAppError:
                errors["base"] = "cannot_connect"
            if not errors:
                return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="confirm",
            errors=errors,
            description_placeholders={"phone": self._phone, "url": self._url},
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Unlink a removed number; the other issues only need acknowledging."""
    if issue_id.startswith(f"{UNLINK_ACCOUNT}_") and data is not None:
        return UnlinkAccountRepairFlow(data)
    return ConfirmRepairFlow()
