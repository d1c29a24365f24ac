"""What the add-on client raises, and the add-on's error codes callers branch on."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class WhatsAppError(Exception):
    """Base class for everything this client raises."""


class WhatsAppConnectionError(WhatsAppError):
    """The add-on could not be reached or did not answer like the add-on."""


class WhatsAppNoAnswerError(WhatsAppConnectionError):
    """A request got no answer: refused, cut off or timed out.

    Whether the add-on acted on it is unknown, so only requests that are safe
    to repeat (idempotent sends) are retried after this.
    """


class WhatsAppAuthError(WhatsAppError):
    """The add-on rejected the API key."""


class WhatsAppApiError(WhatsAppError):
    """The add-on answered with an error of its own."""

    def __init__(self, status: int, code: str, message: str) -> None:
        """Keep the add-on's machine-readable code next to its explanation."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class WhatsAppAccountNotFoundError(WhatsAppApiError):
    """The add-on has no account with this id (404 `account_not_found`)."""


class WhatsAppTooManyAccountsError(WhatsAppApiError):
    """The add-on serves as many accounts as it may (409 `too_many_accounts`)."""


class ApiErrorCode(StrEnum):
    """Error codes of the add-on that callers branch on."""

    INVALID_REQUEST = "invalid_request"
    INVALID_PHONE_NUMBER = "invalid_phone_number"
    INVALID_RECIPIENT = "invalid_recipient"
    NOT_ON_WHATSAPP = "not_on_whatsapp"
    MEDIA_NOT_FOUND = "media_not_found"
    MESSAGE_NOT_FOUND = "message_not_found"
    REPLY_TARGET_NOT_FOUND = "reply_target_not_found"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    QUEUE_FULL = "queue_full"
    NOT_CONNECTED = "not_connected"
    STORAGE_FULL = "storage_full"
    ACCOUNT_NOT_FOUND = "account_not_found"
    TOO_MANY_ACCOUNTS = "too_many_accounts"


def error_from_answer(url: str, status: int, body: Any) -> WhatsAppError:
    """Turn an add-on answer with a 4xx/5xx status into the error it stands for."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or "code" not in error:
        return WhatsAppConnectionError(
            f"{url} did not answer like the WhatsApp add-on (HTTP {status})"
        )
    code, message = str(error["code"]), str(error.get("message", ""))
    if code == ApiErrorCode.ACCOUNT_NOT_FOUND:
        return WhatsAppAccountNotFoundError(status, code, message)
    if code == ApiErrorCode.TOO_MANY_ACCOUNTS:
        return WhatsAppTooManyAccountsError(status, code, message)
    return WhatsAppApiError(status, code, message)
