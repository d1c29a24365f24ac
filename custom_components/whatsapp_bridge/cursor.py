"""Where an entry stands in the add-on's event journal, and where a new one starts."""

from __future__ import annotations

from typing import TYPE_CHECKING, NotRequired, TypedDict

from homeassistant.helpers.storage import Store

from .const import DOMAIN

if TYPE_CHECKING:
    from datetime import datetime

    from homeassistant.core import HomeAssistant

    from .api import WhatsAppClient

STORAGE_VERSION = 1


class StoredCursor(TypedDict):
    """The last event fired, and the journal it belongs to."""

    last_seq: int
    # Absent in what versions before the journal id stored.
    journal_id: NotRequired[str | None]


def cursor_store(hass: HomeAssistant, entry_id: str) -> Store[StoredCursor]:
    """Where an entry keeps the sequence number of the last event it fired."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}")


async def async_position_before(
    client: WhatsAppClient, since: datetime
) -> tuple[int, str | None]:
    """Return the seq of the journal's last event from before `since`, and the journal's id.

    A new entry starts there instead of reading (and filtering) a journal of
    up to tens of thousands of events from its start. Events are journalled
    in time order, so a binary search needs a handful of one-event reads;
    the newest event is looked at first, since for an entry created just now
    it is usually already older.
    """
    first = await client.events(0, limit=1)
    # Every event up to `older` is from before `since`; none after `newer` is.
    older, newer = first.oldest_seq - 1, first.last_seq
    probe = newer
    while older < newer:
        page = await client.events(probe - 1, limit=1)
        event = page.events[0] if page.events else None
        if event is not None and event.at < since:
            older = min(event.seq, newer)
        else:
            newer = probe - 1
        probe = (older + newer + 1) // 2
    return older, first.journal_id
