"""Asynchronous client for the REST API of the WhatsApp add-on.

This package deliberately has no Home Assistant imports: it only needs an
aiohttp session, so it can be published and tested as a library of its own.
The client's transport lives in `client`, what it reads in `models`, what it
sends in `content` and what it raises in `errors`; import from here.
"""

from .client import DEFAULT_PORT, WhatsAppClient
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
    WhatsAppApiError,
    WhatsAppAuthError,
    WhatsAppConnectionError,
    WhatsAppError,
    WhatsAppNoAnswerError,
)
from .models import (
    Account,
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
    "DEFAULT_PORT",
    "Account",
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
    "WhatsAppApiError",
    "WhatsAppAuthError",
    "WhatsAppClient",
    "WhatsAppConnectionError",
    "WhatsAppError",
    "WhatsAppNoAnswerError",
    "received_media_id",
]
