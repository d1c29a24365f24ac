"""Asynchronous client for the REST API of the WhatsApp add-on.

This package deliberately has no Home Assistant imports: it only needs an
aiohttp session, so it can be published and tested as a library of its own.
The client's transport lives in `client`, what it reads in `models`, what it
sends in `content` and what it raises in `errors`; import from here.
"""

from .client import DEFAULT_ACCOUNT, DEFAULT_PORT, WhatsAppClient
from .content import (
    CAPTIONED_MEDIA,
    Contact,
    Location,
    Media,
    MediaKind,
    MessageContent,
    Poll,
    Reaction,
    Text,
)
from .errors import (
    ApiErrorCode,
    WhatsAppAccountNotFoundError,
    WhatsAppApiError,
    WhatsAppAuthError,
    WhatsAppConnectionError,
    WhatsAppError,
    WhatsAppNoAnswerError,
    WhatsAppTooManyAccountsError,
)
from .models import (
    Account,
    AddonAccount,
    Disconnect,
    EventPage,
    Group,
    Health,
    JournalEvent,
    JournalEventType,
    MediaContent,
    MessageKind,
    NumberCheck,
    PresenceState,
    QrCode,
    SentMessage,
    Session,
    SessionState,
    StorageProblem,
    UploadedMedia,
    received_media_id,
)

__all__ = [
    "CAPTIONED_MEDIA",
    "DEFAULT_ACCOUNT",
    "DEFAULT_PORT",
    "Account",
    "AddonAccount",
    "ApiErrorCode",
    "Contact",
    "Disconnect",
    "EventPage",
    "Group",
    "Health",
    "JournalEvent",
    "JournalEventType",
    "Location",
    "Media",
    "MediaContent",
    "MediaKind",
    "MessageContent",
    "MessageKind",
    "NumberCheck",
    "Poll",
    "PresenceState",
    "QrCode",
    "Reaction",
    "SentMessage",
    "Session",
    "SessionState",
    "StorageProblem",
    "Text",
    "UploadedMedia",
    "WhatsAppAccountNotFoundError",
    "WhatsAppApiError",
    "WhatsAppAuthError",
    "WhatsAppClient",
    "WhatsAppConnectionError",
    "WhatsAppError",
    "WhatsAppNoAnswerError",
    "WhatsAppTooManyAccountsError",
    "received_media_id",
]
