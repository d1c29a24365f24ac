"""Assist in WhatsApp: a recipient's texts answered by a conversation agent."""

from __future__ import annotations

import asyncio
from contextlib import suppress
import hashlib
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers import intent
from homeassistant.helpers.translation import async_get_translations

from .api import PresenceState, Text, WhatsAppError
from .const import DOMAIN, LOGGER
from .recipients import conversation_agent_of

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigSubentry

    from .api import WhatsAppClient
    from .coordinator import WhatsAppConfigEntry

# How long an agent may think before the chat is told it did not work out.
# LLM agents that call several tools take a while; a person waiting in a chat
# should not wait much longer than this.
ANSWER_TIMEOUT: Final = 60.0
# Error answers that mean the agent failed, rather than that it did not
# understand or found nothing to act on (those it words for the user itself).
AGENT_FAILURES: Final = frozenset(
    {
        intent.IntentResponseErrorCode.FAILED_TO_HANDLE,
        intent.IntentResponseErrorCode.UNKNOWN,
    }
)
# Sent when the translation cannot be loaded.
FALLBACK_APOLOGY: Final = "Sorry, Home Assistant could not answer that right now."


def conversation_id_for(entry_id: str, chat: str) -> str:
    """One stable conversation per chat, so agents that keep context do.

    Hashed so that the chat's phone number does not end up in conversation
    traces and debug logs.
    """
    digest = hashlib.sha256(f"{entry_id}/{chat}".encode()).hexdigest()[:24]
    return f"{DOMAIN}-{digest}"


def is_mentioned(message: dict[str, Any], account_jid: str) -> bool:
    """Whether a message mentions the account (`@name` in a group)."""
    account = account_jid.partition("@")[0].partition(":")[0]
    return any(
        isinstance(jid, str) and jid.partition("@")[0].partition(":")[0] == account
        for jid in message.get("mentions") or ()
    )


class AssistResponder:
    """Passes texts from recipients with a conversation agent to that agent.

    The answer goes back through the add-on's paced send queue as a reply,
    with an Idempotency-Key made from the message's id: a message that is
    processed again after a restart is never answered twice.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: WhatsAppConfigEntry,
        client: WhatsAppClient,
        account_jid: str,
    ) -> None:
        """Answer for one account."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._account_jid = account_jid

    def agent_for(
        self, message: dict[str, Any], recipient: ConfigSubentry | None
    ) -> str | None:
        """Return the agent that answers this message, or None when Assist stays out.

        Only texts count, and not commands (`/…`), which are for automations.
        In a group only the texts that mention the account are for Assist.
        """
        agent = conversation_agent_of(recipient)
        text = message.get("text")
        if agent is None or message.get("from_me") or message.get("kind") != "text":
            return None
        if not isinstance(text, str) or not text.strip() or text.startswith("/"):
            return None
        if message.get("chat_type") == "group" and not is_mentioned(
            message, self._account_jid
        ):
            return None
        return agent

    @callback
    def async_answer(
        self,
        message: dict[str, Any],
        recipient: ConfigSubentry,
        agent_id: str,
        context: Context,
    ) -> None:
        """Answer in the background; the journal goes on meanwhile."""
        self._entry.async_create_background_task(
            self._hass,
            self._async_answer(message, recipient, agent_id, context),
            f"{DOMAIN} Assist answer",
        )

    async def _async_answer(
        self,
        message: dict[str, Any],
        recipient: ConfigSubentry,
        agent_id: str,
        context: Context,
    ) -> None:
        chat: str = message["chat"]
        await self._async_presence(chat, PresenceState.COMPOSING)
        try:
            speech = await self._async_converse(message, recipient, agent_id, context)
            await self._async_reply(message, speech, recipient)
        finally:
            await self._async_presence(chat, PresenceState.PAUSED)

    async def _async_converse(
        self,
        message: dict[str, Any],
        recipient: ConfigSubentry,
        agent_id: str,
        context: Context,
    ) -> str:
        """Return the agent's speech, or the translated apology when it has none."""
        language = self._hass.config.language
        try:
            async with asyncio.timeout(ANSWER_TIMEOUT):
                result = await conversation.async_converse(
                    self._hass,
                    message["text"],
                    conversation_id_for(self._entry.entry_id, message["chat"]),
                    context,
                    language=language,
                    agent_id=agent_id,
                )
        except TimeoutError:
            LOGGER.warning(
                "The conversation agent %s did not answer %s's WhatsApp message "
                "within %s s; sent an apology instead",
                agent_id,
                recipient.title,
                ANSWER_TIMEOUT,
            )
            return await self._async_apology(language)
        except Exception as err:  # noqa: BLE001 - any agent failure gets the apology
            LOGGER.warning(
                "The conversation agent %s failed to answer %s's WhatsApp message: "
                "%r; sent an apology instead",
                agent_id,
                recipient.title,
                err,
            )
            return await self._async_apology(language)
        speech = result.response.speech.get("plain", {}).get("speech")
        if result.response.error_code in AGENT_FAILURES:
            # Conversation turns an agent's exception into this error answer;
            # its text is for the log (it may name the service, a status
            # code or a key), not for the chat.
            LOGGER.warning(
                "The conversation agent %s failed to answer %s's WhatsApp message: "
                "%s; sent an apology instead",
                agent_id,
                recipient.title,
                speech,
            )
            return await self._async_apology(language)
        if isinstance(speech, str) and speech.strip():
            return speech
        LOGGER.warning(
            "The conversation agent %s gave no answer to %s's WhatsApp message; "
            "sent an apology instead",
            agent_id,
            recipient.title,
        )
        return await self._async_apology(language)

    async def _async_apology(self, language: str) -> str:
        return await self._async_translated(language, translation_key="assist_failed")

    async def _async_translated(self, language: str, *, translation_key: str) -> str:
        """Return a text of the `exceptions` in strings.json, in the chat's language."""
        translations = await async_get_translations(
            self._hass, language, "exceptions", {DOMAIN}
        )
        key = f"component.{DOMAIN}.exceptions.{translation_key}.message"
        return translations.get(key, FALLBACK_APOLOGY)

    async def _async_reply(
        self, message: dict[str, Any], speech: str, recipient: ConfigSubentry
    ) -> None:
        try:
            await self._client.send(
                message["chat"],
                Text(text=speech),
                reply_to=message["id"],
                idempotency_key=f"assist-{self._entry.entry_id}-{message['id']}",
            )
        except WhatsAppError as err:
            LOGGER.warning(
                "The Assist answer to %s could not be sent: %s", recipient.title, err
            )

    async def _async_presence(self, chat: str, state: PresenceState) -> None:
        """Show that an answer is coming; a chat without it still gets the answer."""
        with suppress(WhatsAppError):
            await self._client.set_presence(chat, state)
