"""Subentry flow: the people and groups an account writes to, and Assist for them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers.selector import (
    ConversationAgentSelector,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .api import ApiErrorCode, Group, WhatsAppApiError, WhatsAppClient, WhatsAppError
from .const import CONF_CONVERSATION_AGENT, CONF_PHONE_NUMBER, CONF_RECIPIENT

if TYPE_CHECKING:
    from .coordinator import WhatsAppConfigEntry

CONF_GROUP = "group"
# Optional everywhere: no agent means the chat is not answered by Assist.
AGENT_FIELD: dict[probatio.Marker, Any] = {
    probatio.Optional(CONF_CONVERSATION_AGENT): ConversationAgentSelector()
}
PERSON_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_NAME): TextSelector(),
        probatio.Required(CONF_PHONE_NUMBER): TextSelector(
            TextSelectorConfig(type=TextSelectorType.TEL)
        ),
        **AGENT_FIELD,
    }
)
RECONFIGURE_SCHEMA = probatio.Schema(AGENT_FIELD)


def with_agent(data: dict[str, Any], user_input: dict[str, Any]) -> dict[str, Any]:
    """Add the chosen conversation agent to a recipient's data, if there is one."""
    if agent := (user_input.get(CONF_CONVERSATION_AGENT) or "").strip():
        return {**data, CONF_CONVERSATION_AGENT: agent}
    return data


class RecipientSubentryFlow(ConfigSubentryFlow):
    """Add a person or group that notifications go to and Assist may answer."""

    def __init__(self) -> None:
        """Start without the account's groups; they are fetched when offered."""
        self._groups: dict[str, Group] = {}

    def _client(self) -> WhatsAppClient:
        entry: WhatsAppConfigEntry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            # Numbers and groups can only be looked up through a running entry.
            raise AbortFlow("entry_not_loaded")
        return entry.runtime_data.client

    def _abort_if_recipient_exists(self, jid: str) -> None:
        if any(sub.unique_id == jid for sub in self._get_entry().subentries.values()):
            raise AbortFlow("already_configured")

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose between a person and a group."""
        # Say at once when nothing can be looked up, not after the user typed.
        self._client()
        return self.async_show_menu(step_id="user", menu_options=["person", "group"])

    async def async_step_person(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for a name and phone number, and check the number uses WhatsApp."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                check = await self._client().check_number(user_input[CONF_PHONE_NUMBER])
            except WhatsAppApiError as err:
                if err.code != ApiErrorCode.INVALID_PHONE_NUMBER:
                    raise _lookup_failed(err) from err
                errors[CONF_PHONE_NUMBER] = "invalid_phone_number"
            except WhatsAppError as err:
                raise _lookup_failed(err) from err
            else:
                if check.exists and check.jid:
                    self._abort_if_recipient_exists(check.jid)
                    return self.async_create_entry(
                        title=user_input[CONF_NAME].strip() or check.phone,
                        data=with_agent({CONF_RECIPIENT: check.phone}, user_input),
                        unique_id=check.jid,
                    )
                errors[CONF_PHONE_NUMBER] = "not_on_whatsapp"
        return self.async_show_form(
            step_id="person",
            data_schema=self.add_suggested_values_to_schema(PERSON_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_group(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Offer the account's groups."""
        if user_input is not None:
            group = self._groups[user_input[CONF_GROUP]]
            self._abort_if_recipient_exists(group.jid)
            return self.async_create_entry(
                title=group.subject,
                data=with_agent({CONF_RECIPIENT: group.jid}, user_input),
                unique_id=group.jid,
            )
        try:
            groups = await self._client().groups()
        except WhatsAppError as err:
            raise _lookup_failed(err) from err
        if not groups:
            return self.async_abort(reason="no_groups")
        self._groups = {group.jid: group for group in groups}
        options = [
            SelectOptionDict(value=group.jid, label=group.subject)
            for group in sorted(groups, key=lambda group: group.subject)
        ]
        return self.async_show_form(
            step_id="group",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_GROUP): SelectSelector(
                        SelectSelectorConfig(
                            options=options, mode=SelectSelectorMode.DROPDOWN
                        )
                    ),
                    **AGENT_FIELD,
                }
            ),
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose or clear the conversation agent that answers this chat.

        Messages read the recipient's data as they arrive, so nothing reloads.
        """
        subentry = self._get_reconfigure_subentry()
        if user_input is not None:
            data = {
                key: value
                for key, value in subentry.data.items()
                if key != CONF_CONVERSATION_AGENT
            }
            return self.async_update_and_abort(
                self._get_entry(), subentry, data=with_agent(data, user_input)
            )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                RECONFIGURE_SCHEMA, dict(subentry.data)
            ),
            description_placeholders={"name": subentry.title},
        )


def _lookup_failed(err: WhatsAppError) -> AbortFlow:
    """End a recipient flow that cannot ask WhatsApp, saying why."""
    if isinstance(err, WhatsAppApiError) and err.code == ApiErrorCode.NOT_CONNECTED:
        return AbortFlow("not_connected")
    return AbortFlow("cannot_connect")
