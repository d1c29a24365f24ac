"""Config flow: connect to the add-on, then link a WhatsApp account to it.

The steps here find the add-on (typed address and key, Supervisor discovery,
reauth, reconfigure); choosing or creating the add-on account is in
`account_flow`, linking it in `linking_flow`, the options in `options_flow`,
recipients in `recipient_flow`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import (
    SOURCE_HASSIO,
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import callback
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio
from yarl import URL

from .account_flow import AccountChoiceFlow
from .api import (
    DEFAULT_ACCOUNT,
    DEFAULT_PORT,
    Account,
    AddonAccount,
    Session,
    WhatsAppAccountNotFoundError,
    WhatsAppAuthError,
    WhatsAppClient,
    WhatsAppError,
    WhatsAppTooManyAccountsError,
)
from .const import CONF_ACCOUNT, DOMAIN, SUBENTRY_RECIPIENT
from .options_flow import WhatsAppOptionsFlow
from .recipient_flow import RecipientSubentryFlow

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.helpers.service_info.hassio import HassioServiceInfo

    from .coordinator import WhatsAppConfigEntry

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


class WhatsAppConfigFlow(AccountChoiceFlow, domain=DOMAIN):
    """Set up a WhatsApp account through the WhatsApp add-on."""

    VERSION = 1
    # 1.2: entries name their add-on account (`account`).
    MINOR_VERSION = 2

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
        super().__init__()
        # While re-authenticating: the add-on no longer has the entry's account.
        self._account_missing = False

    async def _async_try_connect(
        self, url: str, api_key: str, errors: dict[str, str]
    ) -> Session | None:
        """Check URL and key against the add-on; remember them when they work."""
        client = WhatsAppClient(
            url, api_key, async_get_clientsession(self.hass), account=self._account
        )
        try:
            session = await client.session()
        except WhatsAppAuthError:
            errors["base"] = "invalid_auth"
        except WhatsAppAccountNotFoundError:
            errors["base"] = "account_not_found"
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
            elif await self._async_try_connect(url, user_input[CONF_API_KEY], errors):
                return await self._async_set_up_next_account()
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
            await self._client().session()
        except WhatsAppError:
            # An add-on that cannot be reached, or rejects the key, is not offered.
            return self.async_abort(reason="cannot_connect")
        accounts = await self._async_addon_accounts()
        self._async_update_discovered_entries(accounts)
        self.context["title_placeholders"] = {"name": discovery_info.name}
        if (account := self._first_unconfigured(accounts)) is None:
            # Every number has its entry: offer to link one more, once.
            await self.async_set_unique_id(f"{discovery_info.uuid}_link_another")
            self._abort_if_unique_id_configured()
            return await self.async_step_link_another()
        self._account = account.id
        if (linked := account.linked_account) is not None:
            await self.async_set_unique_id(linked.jid)
        else:
            # Not linked yet: the add-on itself identifies the discovery, so it
            # is offered once however often the Supervisor announces it.
            await self.async_set_unique_id(discovery_info.uuid)
        return await self.async_step_hassio_confirm()

    @callback
    def _async_update_discovered_entries(self, accounts: list[AddonAccount]) -> None:
        """Hand the add-on's new address or key to the entries of its numbers."""
        data = {CONF_URL: self._url, CONF_API_KEY: self._api_key}
        linked = {account.me.jid for account in accounts if account.me is not None}
        for entry in self._async_current_entries(include_ignore=False):
            if entry.unique_id not in linked or data.items() <= entry.data.items():
                continue
            self.hass.config_entries.async_update_entry(
                entry, data={**entry.data, **data}
            )
            if entry.state in (ConfigEntryState.LOADED, ConfigEntryState.SETUP_RETRY):
                self.hass.config_entries.async_schedule_reload(entry.entry_id)

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

    async def _async_finish(self, account: Account) -> ConfigFlowResult:
        """Create the entry, or update the one being re-authenticated or reconfigured."""
        await self.async_set_unique_id(account.jid, raise_on_progress=False)
        data = {
            CONF_URL: self._url,
            CONF_API_KEY: self._api_key,
            CONF_ACCOUNT: self._account,
        }
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

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Link the account again, or take a new API key, whichever is needed."""
        self._url = entry_data[CONF_URL]
        self._api_key = entry_data[CONF_API_KEY]
        self._account = entry_data.get(CONF_ACCOUNT, DEFAULT_ACCOUNT)
        try:
            self._session = await self._client().session()
        except WhatsAppAuthError:
            return await self.async_step_reauth_api_key()
        except WhatsAppAccountNotFoundError:
            # Deleted in the add-on, say from its web page: create it again.
            self._account_missing = True
            self._session = None
        except WhatsAppError:
            self._session = None
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain why WhatsApp dropped the link before linking again."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if self._account_missing:
                await self._async_recreate_account(errors)
            if not errors and (
                session := await self._async_try_connect(
                    self._url, self._api_key, errors
                )
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

    async def _async_recreate_account(self, errors: dict[str, str]) -> None:
        """Create the entry's account again in the add-on, under its old id."""
        try:
            await self._client().create_account(self._account)
        except WhatsAppTooManyAccountsError as err:
            raise AbortFlow(
                "too_many_accounts",
                description_placeholders={
                    "count": str(len(await self._async_addon_accounts()))
                },
            ) from err
        except WhatsAppError:
            errors["base"] = "cannot_connect"
        else:
            self._account_missing = False

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
        entry = self._get_reconfigure_entry()
        self._account = entry.data.get(CONF_ACCOUNT, DEFAULT_ACCOUNT)
        errors: dict[str, str] = {}
        if user_input is not None:
            if (url := normalize_url(user_input[CONF_URL])) is None:
                errors[CONF_URL] = "invalid_url"
            elif session := await self._async_try_connect(
                url, user_input[CONF_API_KEY], errors
            ):
                return await self._async_link(session)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                URL_SCHEMA, {CONF_URL: (user_input or entry.data).get(CONF_URL)}
            ),
            errors=errors,
            description_placeholders=URL_PLACEHOLDERS,
        )
