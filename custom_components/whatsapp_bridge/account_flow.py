"""Config flow steps that choose which of the add-on's accounts an entry is for.

One add-on serves several WhatsApp numbers, each an account of its own. A new
entry takes the add-on's first account that has no entry yet (linked or still
pairing); when every account has one, the flow offers to link another number,
which creates a new account in the add-on and pairs it in the same dialog.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from homeassistant.const import CONF_URL
from homeassistant.data_entry_flow import AbortFlow

from . import linking_flow
from .api import (
    DEFAULT_ACCOUNT,
    AddonAccount,
    SessionState,
    WhatsAppAccountNotFoundError,
    WhatsAppApiError,
    WhatsAppError,
    WhatsAppTooManyAccountsError,
)
from .const import CONF_ACCOUNT
from .linking_flow import ADDON_STARTUP_GRACE, AccountLinkingFlow

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigFlowResult


class AccountChoiceFlow(AccountLinkingFlow):
    """Find the add-on account a new entry is for, creating one on request.

    No domain: only the config flow built on this registers with Home Assistant.
    """

    def __init__(self) -> None:
        """Nothing known about the add-on's accounts yet."""
        super().__init__()
        self._addon_name = "WhatsApp"
        self._account_count = 0

    async def _async_addon_accounts(self) -> list[AddonAccount]:
        """Return the add-on's accounts, once each knows whether it is linked.

        A just-started add-on does not know yet which numbers are linked; the
        accounts are told apart by their numbers, so wait for that.
        """
        deadline = time.monotonic() + ADDON_STARTUP_GRACE
        accounts = await self._async_list_accounts()
        while (
            any(account.state is SessionState.STARTING for account in accounts)
            and time.monotonic() < deadline
        ):
            await asyncio.sleep(linking_flow.PAIRING_POLL_INTERVAL)
            accounts = await self._async_list_accounts()
        return accounts

    async def _async_list_accounts(self) -> list[AddonAccount]:
        """Return the add-on's accounts; an add-on without accounts serves `default`."""
        try:
            return await self._client().list_accounts()
        except WhatsAppApiError as err:
            if err.status != 404 or isinstance(err, WhatsAppAccountNotFoundError):
                raise AbortFlow("cannot_connect") from err
        except WhatsAppError as err:
            raise AbortFlow("cannot_connect") from err
        # An add-on from before accounts existed: its one session is `default`.
        session = await self._async_current_session()
        return [AddonAccount(id=DEFAULT_ACCOUNT, state=session.state, me=session.me)]

    def _is_configured(self, account: AddonAccount) -> bool:
        """Whether an entry exists for this account of the add-on being set up."""
        for entry in self._async_current_entries(include_ignore=False):
            if account.me is not None and entry.unique_id == account.me.jid:
                return True
            if (
                entry.data.get(CONF_URL) == self._url
                and entry.data.get(CONF_ACCOUNT, DEFAULT_ACCOUNT) == account.id
            ):
                return True
        return False

    def _first_unconfigured(self, accounts: list[AddonAccount]) -> AddonAccount | None:
        """Return the first account without an entry; remember how many there are."""
        self._account_count = len(accounts)
        return next((acc for acc in accounts if not self._is_configured(acc)), None)

    async def _async_set_up_next_account(self) -> ConfigFlowResult:
        """Set up the first account without an entry, or offer to link another."""
        account = self._first_unconfigured(await self._async_addon_accounts())
        if account is None:
            return await self.async_step_link_another()
        self._account = account.id
        return await self._async_link(await self._async_current_session())

    async def async_step_link_another(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer to link one more WhatsApp number to the same add-on."""
        if user_input is None:
            return self.async_show_form(
                step_id="link_another",
                description_placeholders={
                    "addon": self._addon_name,
                    "count": str(self._account_count),
                },
            )
        try:
            self._account = await self._client().create_account()
        except WhatsAppTooManyAccountsError:
            return self.async_abort(
                reason="too_many_accounts",
                description_placeholders={"count": str(self._account_count)},
            )
        except WhatsAppApiError as err:
            if err.status == 404:
                return self.async_abort(reason="accounts_not_supported")
            raise AbortFlow("cannot_connect") from err
        except WhatsAppError as err:
            raise AbortFlow("cannot_connect") from err
        return await self._async_link(await self._async_current_session())
