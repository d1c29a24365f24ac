"""Config flow: connect to the add-on, then link a WhatsApp account to it."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from enum import StrEnum
from html import escape
from pathlib import PurePosixPath
import time
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import (
    SOURCE_HASSIO,
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import callback
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio
from yarl import URL

from .api import (
    DEFAULT_PORT,
    Account,
    Session,
    SessionState,
    WhatsAppApiError,
    WhatsAppAuthError,
    WhatsAppClient,
    WhatsAppError,
)
from .const import (
    CONF_ACCEPT_FROM,
    CONF_MEDIA_FOLDER,
    CONF_PHONE_NUMBER,
    DEFAULT_MEDIA_FOLDER,
    DOMAIN,
    SUBENTRY_RECIPIENT,
    AcceptFrom,
    phone_from_jid,
)
from .recipient_flow import RecipientSubentryFlow

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.helpers.service_info.hassio import HassioServiceInfo

    from .coordinator import WhatsAppConfigEntry

# How often a pairing in progress looks at the session: the flow should move on
# within about a second of the phone scanning the code.
PAIRING_POLL_INTERVAL = 1.0
# How long the add-on may stay unreachable while a pairing is shown before the
# flow gives up.
PAIRING_UNREACHABLE_GRACE = 30.0
# How long a just-started add-on may take to tell whether it is linked.
ADDON_STARTUP_GRACE = 15.0

URL_PLACEHOLDERS = {
    "port": str(DEFAULT_PORT),
    "example_url": f"http://homeassistant.local:{DEFAULT_PORT}",
}
URL_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_URL): TextSelector(
            TextSelectorConfig(type=TextSelectorType.URL)
        ),
        probatio.Required(CONF_API_KEY): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        ),
    }
)
API_KEY_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_API_KEY): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        )
    }
)
PHONE_NUMBER_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_PHONE_NUMBER): TextSelector(
            TextSelectorConfig(type=TextSelectorType.TEL)
        )
    }
)
OPTIONS_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_MEDIA_FOLDER): TextSelector(),
        probatio.Required(CONF_ACCEPT_FROM): SelectSelector(
            SelectSelectorConfig(
                options=[choice.value for choice in AcceptFrom],
                translation_key=CONF_ACCEPT_FROM,
                mode=SelectSelectorMode.LIST,
            )
        ),
    }
)


class PairingOutcome(StrEnum):
    """How watching a pairing in progress ended."""

    LINKED = "linked"
    QR_CHANGED = "qr_changed"
    EXPIRED = "expired"
    UNREACHABLE = "unreachable"


def normalize_url(value: str) -> str | None:
    """Return the add-on URL without a trailing slash, or None if it is not usable."""
    value = value.strip()
    if "://" not in value:
        value = f"http://{value}"
    try:
        url = URL(value)
    except ValueError:
        return None
    if url.scheme not in ("http", "https") or not url.host:
        return None
    return str(url).rstrip("/")


def qr_code_markup(code: str) -> str:
    """Markdown that the frontend renders as a scannable QR code."""
    return f'<ha-qr-code data="{escape(code)}" scale="5" margin="2"></ha-qr-code>'


def format_pairing_code(code: str) -> str:
    """Group the code as the phone shows it: `ABCD-EFGH`."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


def normalize_media_folder(value: str) -> str | None:
    """Return a folder inside the media folder as `a/b`, or None if it leads outside."""
    folder = PurePosixPath(value.strip())
    if folder.is_absolute() or ".." in folder.parts or not folder.parts:
        return None
    return str(folder)


class WhatsAppConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a WhatsApp account through the WhatsApp add-on."""

    VERSION = 1
    MINOR_VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(
        config_entry: WhatsAppConfigEntry,
    ) -> WhatsAppOptionsFlow:
        """Options of a linked account."""
        return WhatsAppOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Recipients of notifications, each with a notify entity."""
        return {SUBENTRY_RECIPIENT: RecipientSubentryFlow}

    def __init__(self) -> None:
        """Start with nothing known about the add-on."""
        self._url = ""
        self._api_key = ""
        self._session: Session | None = None
        self._addon_name = "WhatsApp"
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
            self._url, self._api_key, async_get_clientsession(self.hass)
        )

    async def _async_try_connect(
        self, url: str, api_key: str, errors: dict[str, str]
    ) -> Session | None:
        """Check URL and key against the add-on; remember them when they work."""
        client = WhatsAppClient(url, api_key, async_get_clientsession(self.hass))
        try:
            session = await client.session()
        except WhatsAppAuthError:
            errors["base"] = "invalid_auth"
        except WhatsAppError:
            errors["base"] = "cannot_connect"
        else:
            self._url, self._api_key = url, api_key
            return session
        return None

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the add-on's address and API key."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if (url := normalize_url(user_input[CONF_URL])) is None:
                errors[CONF_URL] = "invalid_url"
            else:
                # Another entry on the same add-on is either this very account or
                # one that needs re-linking through its own re-authentication.
                self._async_abort_entries_match({CONF_URL: url})
                if session := await self._async_try_connect(
                    url, user_input[CONF_API_KEY], errors
                ):
                    return await self._async_link(session)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                URL_SCHEMA, {CONF_URL: (user_input or {}).get(CONF_URL)}
            ),
            errors=errors,
            description_placeholders=URL_PLACEHOLDERS,
        )

    async def async_step_hassio(
        self, discovery_info: HassioServiceInfo
    ) -> ConfigFlowResult:
        """Take the add-on's address and key from the Supervisor's discovery."""
        config = discovery_info.config
        self._url = str(
            URL.build(scheme="http", host=config["host"], port=int(config["port"]))
        )
        self._api_key = config[CONF_API_KEY]
        self._addon_name = discovery_info.name
        try:
            session = await self._client().session()
        except WhatsAppError:
            return self.async_abort(reason="cannot_connect")
        if (account := session.linked_account) is not None:
            await self.async_set_unique_id(account.jid)
            self._abort_if_unique_id_configured(
                updates={CONF_URL: self._url, CONF_API_KEY: self._api_key}
            )
        else:
            # No account yet: the add-on itself identifies the discovery, so it
            # is offered once however often the Supervisor announces it.
            await self.async_set_unique_id(discovery_info.uuid)
            self._async_abort_entries_match({CONF_URL: self._url})
        self.context["title_placeholders"] = {"name": discovery_info.name}
        return await self.async_step_hassio_confirm()

    async def async_step_hassio_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm setting up the discovered add-on; nothing to type."""
        if user_input is None:
            self._set_confirm_only()
            return self.async_show_form(
                step_id="hassio_confirm",
                description_placeholders={"addon": self._addon_name},
            )
        return await self._async_link(await self._async_current_session())

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

    async def _async_finish(self, account: Account) -> ConfigFlowResult:
        """Create the entry, or update the one being re-authenticated or reconfigured."""
        await self.async_set_unique_id(account.jid, raise_on_progress=False)
        data = {CONF_URL: self._url, CONF_API_KEY: self._api_key}
        if self.source in (SOURCE_REAUTH, SOURCE_RECONFIGURE):
            entry = (
                self._get_reauth_entry()
                if self.source == SOURCE_REAUTH
                else self._get_reconfigure_entry()
            )
            if entry.unique_id != account.jid:
                return await self._async_wrong_account(entry, account)
            return self.async_update_reload_and_abort(entry, data_updates=data)
        self._abort_if_unique_id_configured(
            updates=data if self.source == SOURCE_HASSIO else None
        )
        return self.async_create_entry(title=account.phone, data=data)

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

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Link the account again, or take a new API key, whichever is needed."""
        self._url = entry_data[CONF_URL]
        self._api_key = entry_data[CONF_API_KEY]
        try:
            self._session = await self._client().session()
        except WhatsAppAuthError:
            return await self.async_step_reauth_api_key()
        except WhatsAppError:
            self._session = None
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain why WhatsApp dropped the link before linking again."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if session := await self._async_try_connect(
                self._url, self._api_key, errors
            ):
                return await self._async_link(session)
            if errors["base"] == "invalid_auth":
                return await self.async_step_reauth_api_key()
        disconnect = self._session.last_disconnect if self._session else None
        return self.async_show_form(
            step_id="reauth_confirm",
            errors=errors,
            description_placeholders={
                "phone": self._get_reauth_entry().title,
                "reason": disconnect.message if disconnect else "",
            },
        )

    async def async_step_reauth_api_key(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the add-on's current API key."""
        errors: dict[str, str] = {}
        if user_input is not None and (
            session := await self._async_try_connect(
                self._url, user_input[CONF_API_KEY], errors
            )
        ):
            return await self._async_link(session)
        return self.async_show_form(
            step_id="reauth_api_key",
            data_schema=API_KEY_SCHEMA,
            errors=errors,
            description_placeholders={"url": self._url},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the add-on's address or API key; the account must stay the same."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if (url := normalize_url(user_input[CONF_URL])) is None:
                errors[CONF_URL] = "invalid_url"
            elif session := await self._async_try_connect(
                url, user_input[CONF_API_KEY], errors
            ):
                return await self._async_link(session)
        entry = self._get_reconfigure_entry()
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                URL_SCHEMA, {CONF_URL: (user_input or entry.data).get(CONF_URL)}
            ),
            errors=errors,
            description_placeholders=URL_PLACEHOLDERS,
        )


class WhatsAppOptionsFlow(OptionsFlow):
    """Where downloaded media goes, and whose messages fire events."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the folder inside the media folder and whose messages count."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if folder := normalize_media_folder(user_input[CONF_MEDIA_FOLDER]):
                return self.async_create_entry(
                    data={
                        CONF_MEDIA_FOLDER: folder,
                        CONF_ACCEPT_FROM: user_input[CONF_ACCEPT_FROM],
                    }
                )
            errors[CONF_MEDIA_FOLDER] = "invalid_media_folder"
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                OPTIONS_SCHEMA,
                user_input
                or {
                    CONF_MEDIA_FOLDER: self.config_entry.options.get(
                        CONF_MEDIA_FOLDER, DEFAULT_MEDIA_FOLDER
                    ),
                    CONF_ACCEPT_FROM: self.config_entry.options.get(
                        CONF_ACCEPT_FROM, AcceptFrom.EVERYONE
                    ),
                },
            ),
            errors=errors,
        )


_NEXT_STEP_AFTER = {
    PairingOutcome.LINKED: "linked",
    PairingOutcome.EXPIRED: "qr_expired",
    PairingOutcome.UNREACHABLE: "addon_lost",
}
