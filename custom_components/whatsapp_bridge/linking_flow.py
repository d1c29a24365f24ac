"""Config flow steps that link a WhatsApp account to the add-on.

The add-on is linked like WhatsApp Web: by scanning a QR code or by typing a
pairing code on the phone. Both are shown as progress steps while a
background task watches the add-on's session. When the add-on turns out to be
linked to another account than the entry's, the user may unlink that one.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from enum import StrEnum
from html import escape
import time
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigFlow, ConfigFlowResult
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .api import (
    DEFAULT_ACCOUNT,
    Session,
    SessionState,
    WhatsAppApiError,
    WhatsAppClient,
    WhatsAppError,
)
from .const import CONF_PHONE_NUMBER, DOMAIN, phone_from_jid

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from .api import Account

# How often a pairing in progress looks at the session: the flow should move on
# within about a second of the phone scanning the code.
PAIRING_POLL_INTERVAL = 1.0
# How long the add-on may stay unreachable while a pairing is shown before the
# flow gives up.
PAIRING_UNREACHABLE_GRACE = 30.0
# How long a just-started add-on may take to tell whether it is linked.
ADDON_STARTUP_GRACE = 15.0

PHONE_NUMBER_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_PHONE_NUMBER): TextSelector(
            TextSelectorConfig(type=TextSelectorType.TEL)
        )
    }
)


class PairingOutcome(StrEnum):
    """How watching a pairing in progress ended."""

    LINKED = "linked"
    QR_CHANGED = "qr_changed"
    EXPIRED = "expired"
    UNREACHABLE = "unreachable"


def qr_code_markup(code: str) -> str:
    """Markdown that the frontend renders as a scannable QR code."""
    return f'<ha-qr-code data="{escape(code)}" scale="5" margin="2"></ha-qr-code>'


def format_pairing_code(code: str) -> str:
    """Group the code as the phone shows it: `ABCD-EFGH`."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


class AccountLinkingFlow(ConfigFlow):
    """The steps that link an account; the config flow adds how to reach the add-on.

    No domain: only the config flow built on this registers with Home Assistant.
    """

    def __init__(self) -> None:
        """Start with no add-on and no pairing in progress."""
        # The add-on's address and API key, set by the connection steps.
        self._url = ""
        self._api_key = ""
        # The add-on account (one linked number) being linked.
        self._account = DEFAULT_ACCOUNT
        self._session: Session | None = None
        self._shown_qr: str | None = None
        self._pairing_code = ""
        self._pairing_code_error: str | None = None
        self._watch_task: asyncio.Task[PairingOutcome] | None = None
        self._linked_here = False
        # While re-authenticating: the entry's account and the one the add-on
        # is linked to instead.
        self._accounts: dict[str, str] = {}

    def _client(self) -> WhatsAppClient:
        return WhatsAppClient(
            self._url,
            self._api_key,
            async_get_clientsession(self.hass),
            account=self._account,
        )

    async def _async_finish(self, account: Account) -> ConfigFlowResult:
        """Create or update the entry of the linked account.

        Which one depends on how the flow started (user, discovery, reauth,
        reconfigure), which only the config flow knows.
        """
        raise NotImplementedError

    async def _async_link(self, session: Session) -> ConfigFlowResult:
        """Finish with the linked account, or link one first."""
        # A just-started add-on does not know yet whether it is linked.
        deadline = time.monotonic() + ADDON_STARTUP_GRACE
        while session.state is SessionState.STARTING and time.monotonic() < deadline:
            await asyncio.sleep(PAIRING_POLL_INTERVAL)
            session = await self._async_current_session()
        if (account := session.linked_account) is not None:
            return await self._async_finish(account)
        return await self.async_step_link()

    async def async_step_link(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the two ways WhatsApp links a device."""
        return self.async_show_menu(
            step_id="link", menu_options=["pair_qr", "pair_code"]
        )

    async def _async_current_session(self) -> Session:
        try:
            return await self._client().session()
        except WhatsAppError as err:
            raise AbortFlow("cannot_connect") from err

    async def _async_prepare_pairing(self) -> Session:
        """Return the session, restarting it when pairing has ended so codes flow again."""
        client = self._client()
        try:
            session = await client.session()
            if session.state is SessionState.LOGGED_OUT:
                session = await client.restart_session()
        except WhatsAppError as err:
            raise AbortFlow("cannot_connect") from err
        return session

    def _pairing_watcher(self, *, follow_qr: bool) -> asyncio.Task[PairingOutcome]:
        """Return the running pairing watcher, starting one if there is none."""
        if self._watch_task is None:
            self._watch_task = self.hass.async_create_background_task(
                self._async_watch_pairing(follow_qr=follow_qr),
                f"{DOMAIN} pairing watcher",
            )
        return self._watch_task

    async def _async_watch_pairing(self, *, follow_qr: bool) -> PairingOutcome:
        """Poll the session until the pairing moves on in a way the flow must show."""
        client = self._client()
        last_answer = time.monotonic()
        while True:
            await asyncio.sleep(PAIRING_POLL_INTERVAL)
            try:
                session = await client.session()
            except WhatsAppError:
                if time.monotonic() - last_answer > PAIRING_UNREACHABLE_GRACE:
                    return PairingOutcome.UNREACHABLE
                continue
            last_answer = time.monotonic()
            self._session = session
            if session.state is SessionState.CONNECTED and session.me is not None:
                self._linked_here = True
                return PairingOutcome.LINKED
            if session.state is SessionState.LOGGED_OUT:
                return PairingOutcome.EXPIRED
            if (
                follow_qr
                and session.qr is not None
                and session.qr.code != self._shown_qr
            ):
                return PairingOutcome.QR_CHANGED

    def _take_watch_outcome(self) -> PairingOutcome | None:
        """Return the watcher's outcome once it has one, and forget the watcher."""
        if self._watch_task is None or not self._watch_task.done():
            return None
        outcome = self._watch_task.result()
        self._watch_task = None
        return outcome

    async def async_step_pair_qr(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the QR code until the phone has scanned it, following each new code."""
        outcome = self._take_watch_outcome()
        if outcome is not None and outcome is not PairingOutcome.QR_CHANGED:
            return self.async_show_progress_done(next_step_id=_NEXT_STEP_AFTER[outcome])
        if self._watch_task is None:
            if outcome is None:
                session = await self._async_prepare_pairing()
                if (account := session.linked_account) is not None:
                    return await self._async_finish(account)
                self._session = session
            qr = self._session.qr if self._session else None
            self._shown_qr = qr.code if qr else None
        watcher = self._pairing_watcher(follow_qr=True)
        if self._shown_qr is None:
            return self.async_show_progress(
                step_id="pair_qr",
                progress_action="wait_for_qr",
                progress_task=watcher,
            )
        return self.async_show_progress(
            step_id="pair_qr",
            progress_action="scan_qr",
            description_placeholders={"qr_code": qr_code_markup(self._shown_qr)},
            progress_task=watcher,
        )

    async def async_step_qr_expired(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Tell that nobody scanned in time; new codes only on request."""
        if user_input is None:
            return self.async_show_form(step_id="qr_expired")
        return await self.async_step_pair_qr()

    async def async_step_pair_code(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the phone number to link by code instead of QR code."""
        errors: dict[str, str] = {}
        reason = ""
        if self._pairing_code_error is not None:
            errors["base"] = self._pairing_code_error
            self._pairing_code_error = None
        if user_input is not None:
            try:
                code = await self._client().request_pairing_code(
                    user_input[CONF_PHONE_NUMBER]
                )
            except WhatsAppApiError as err:
                if err.code == "invalid_phone_number":
                    errors[CONF_PHONE_NUMBER] = "invalid_phone_number"
                elif err.code == "already_linked":
                    return await self._async_link(await self._async_prepare_pairing())
                else:
                    errors["base"] = "pairing_code_failed"
                    reason = err.message
            except WhatsAppError:
                errors["base"] = "cannot_connect"
            else:
                self._pairing_code = code
                return await self.async_step_pair_code_wait()
        return self.async_show_form(
            step_id="pair_code",
            data_schema=self.add_suggested_values_to_schema(
                PHONE_NUMBER_SCHEMA, user_input
            ),
            errors=errors,
            description_placeholders={"reason": reason},
        )

    async def async_step_pair_code_wait(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the pairing code until the phone has confirmed it."""
        if (outcome := self._take_watch_outcome()) is not None:
            if outcome is PairingOutcome.EXPIRED:
                self._pairing_code_error = "pairing_code_expired"
                return self.async_show_progress_done(next_step_id="pair_code")
            return self.async_show_progress_done(next_step_id=_NEXT_STEP_AFTER[outcome])
        return self.async_show_progress(
            step_id="pair_code_wait",
            progress_action="enter_code",
            description_placeholders={"code": format_pairing_code(self._pairing_code)},
            progress_task=self._pairing_watcher(follow_qr=False),
        )

    async def async_step_linked(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Finish with the account the phone has just linked."""
        return await self._async_link(await self._async_current_session())

    async def async_step_addon_lost(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Give up: the add-on went away while the pairing was shown."""
        return self.async_abort(reason="cannot_connect")

    async def _async_wrong_account(
        self, entry: ConfigEntry, account: Account
    ) -> ConfigFlowResult:
        """Deal with an add-on linked to another account than the entry's."""
        if self._linked_here:
            # This flow linked the other phone; unlink it so the add-on is free
            # for the right account on the next attempt.
            with suppress(WhatsAppError):
                await self._client().logout()
        self._accounts = {
            "expected": phone_from_jid(entry.unique_id or ""),
            "actual": account.phone,
        }
        if self.source == SOURCE_REAUTH and not self._linked_here:
            # The add-on was linked to the other account before: offer the way
            # out instead of a dead end.
            return await self.async_step_unlink_other()
        raise AbortFlow("wrong_account", description_placeholders=self._accounts)

    async def async_step_unlink_other(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer to unlink the add-on's other account and link this entry's."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                await self._client().logout()
            except WhatsAppError:
                errors["base"] = "cannot_connect"
            else:
                return await self.async_step_link()
        return self.async_show_form(
            step_id="unlink_other",
            errors=errors,
            description_placeholders=self._accounts,
        )


_NEXT_STEP_AFTER = {
    PairingOutcome.LINKED: "linked",
    PairingOutcome.EXPIRED: "qr_expired",
    PairingOutcome.UNREACHABLE: "addon_lost",
}
