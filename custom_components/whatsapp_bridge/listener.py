"""Turns the add-on's event journal into Home Assistant events, each exactly once."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import TYPE_CHECKING, Final

from homeassistant.core import HomeAssistant, callback

from .api import (
    EventPage,
    JournalEvent,
    JournalEventType,
    WhatsAppClient,
    WhatsAppError,
)
from .const import ATTR_ENTRY_ID, DOMAIN, EVENT_MESSAGE_STATUS, LOGGER
from .cursor import StoredCursor, async_position_before, cursor_store
from .incoming import IncomingMessages
from .issues import (
    async_clear_listener_failing,
    async_report_events_lost,
    async_report_journal_replaced,
    async_report_listener_failing,
    events_lost_issue_id,
)

if TYPE_CHECKING:
    from .coordinator import WhatsAppConfigEntry, WhatsAppSessionCoordinator

__all__ = ["WhatsAppEventListener", "cursor_store", "events_lost_issue_id"]

# The add-on answers a long poll as soon as an event exists, so a long wait
# costs nothing and keeps requests rare while idle.
EVENTS_WAIT_SECONDS = 30
EVENTS_PAGE_SIZE = 100
RETRY_INITIAL_DELAY = 1.0
RETRY_MAX_DELAY = 60.0
# Failures in a row (about half a minute of back-off) before the user is told:
# a single hiccup fixes itself and is only logged.
FAILURES_BEFORE_ISSUE: Final = 5
# While catching up on full pages the position is written at most this often;
# a crash then repeats at most these seconds of events, never skips one.
CATCH_UP_SAVE_DELAY: Final = 5.0


class WhatsAppEventListener:
    """Long-polls the journal of one add-on for one config entry.

    The sequence number of the last fired event is stored only after firing,
    so a crash at worst repeats recent events, and never skips one. Whatever
    goes wrong, the poll goes on: with back-off, and with a repair issue when
    it keeps failing.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: WhatsAppConfigEntry,
        client: WhatsAppClient,
        coordinator: WhatsAppSessionCoordinator,
    ) -> None:
        """Prepare; nothing runs before `async_start`."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._coordinator = coordinator
        self._store = cursor_store(hass, entry.entry_id)
        # None until the entry has a position: a new entry starts after the
        # last event from before it was created.
        self.last_seq: int | None = None
        self.journal_id: str | None = None
        self._saved: StoredCursor | None = None
        self.reachable = True
        self.failures = 0
        self._task: asyncio.Task[None] | None = None
        self.incoming = IncomingMessages(hass, entry, client, coordinator.account_jid)

    async def async_start(self) -> None:
        """Resume after the last event fired before and start polling."""
        if stored := await self._store.async_load():
            self.last_seq = stored["last_seq"]
            self.journal_id = stored.get("journal_id")
            self._saved = self._cursor()
        self._task = self._entry.async_create_background_task(
            self._hass, self._async_run(), f"{DOMAIN} event listener"
        )

    async def async_stop(self) -> None:
        """Stop polling and make sure the position of the last fired event is saved."""
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        async_clear_listener_failing(self._hass, self._entry.entry_id)
        self.incoming.asks.async_cancel_all()
        try:
            await self._async_save_cursor()
        except Exception:  # noqa: BLE001 - unloading must not fail over this
            LOGGER.exception(
                "Could not save the position in the WhatsApp event journal; "
                "the latest events may fire again after the restart"
            )

    async def _async_run(self) -> None:
        delay = RETRY_INITIAL_DELAY
        while True:
            try:
                await self._async_poll()
            except WhatsAppError as err:
                await self._async_lost_contact(err)
            except Exception as err:  # noqa: BLE001 - the poll must survive anything
                self._failed(err)
            else:
                delay = RETRY_INITIAL_DELAY
                self._succeeded()
                continue
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_DELAY)

    async def _async_poll(self) -> None:
        """Fetch and fire one page; the add-on's trouble raises `WhatsAppError`."""
        if self.last_seq is None:
            await self._async_start_at_entry_creation()
        after = self.last_seq or 0
        page = await self._client.events(
            after, limit=EVENTS_PAGE_SIZE, wait=EVENTS_WAIT_SECONDS
        )
        if not self.reachable:
            await self._async_regained_contact()
        await self._async_process(page, after)

    async def _async_start_at_entry_creation(self) -> None:
        """Skip the history from before the entry: it must not fire automations."""
        self.last_seq, self.journal_id = await async_position_before(
            self._client, self._entry.created_at
        )
        await self._async_save_cursor()

    def _failed(self, err: Exception) -> None:
        self.failures += 1
        if self.failures == 1:
            LOGGER.error(
                "Incoming WhatsApp messages for %s cannot be processed; "
                "retrying with back-off",
                self._entry.title,
                exc_info=err,
            )
        else:
            LOGGER.debug("The WhatsApp event listener failed again: %r", err)
        if self.failures == FAILURES_BEFORE_ISSUE:
            async_report_listener_failing(
                self._hass,
                self._entry.entry_id,
                self._entry.title,
                str(err) or type(err).__name__,
            )

    def _succeeded(self) -> None:
        if not self.failures:
            return
        LOGGER.info(
            "Incoming WhatsApp messages for %s are processed again after %s failures",
            self._entry.title,
            self.failures,
        )
        self.failures = 0
        async_clear_listener_failing(self._hass, self._entry.entry_id)

    async def _async_lost_contact(self, err: WhatsAppError) -> None:
        if not self.reachable:
            return
        self.reachable = False
        LOGGER.warning(
            "Lost contact with the WhatsApp add-on: %s. It keeps incoming messages "
            "for Home Assistant until it is reachable again; check that it is running",
            err,
        )
        # The coordinator decides between unavailable entities and re-authentication.
        await self._coordinator.async_refresh()

    async def _async_regained_contact(self) -> None:
        self.reachable = True
        LOGGER.info(
            "The WhatsApp add-on at %s is reachable again; catching up on its events",
            self._client.url,
        )
        await self._coordinator.async_refresh()

    async def _async_process(self, page: EventPage, after: int) -> None:
        if self._journal_replaced(page) or page.last_seq < after:
            LOGGER.warning(
                "The event journal of the WhatsApp add-on at %s starts over (its data "
                "was reset or restored); reading it from the beginning",
                self._client.url,
            )
            async_report_journal_replaced(
                self._hass, self._entry.entry_id, self._client.url
            )
            self.last_seq, self.journal_id = 0, page.journal_id
            await self._async_save_cursor()
            return
        self.journal_id = page.journal_id or self.journal_id
        if page.gap:
            self._report_lost_events(page.oldest_seq - after - 1)
        connection_changed = False
        for event in page.events:
            if event.seq <= after:
                continue
            connection_changed |= self._fire_new(event)
            self.last_seq = event.seq
        if len(page.events) >= EVENTS_PAGE_SIZE:
            # More are waiting: catching up, so write the position now and then.
            self._store.async_delay_save(self._cursor, CATCH_UP_SAVE_DELAY)
        else:
            await self._async_save_cursor()
        if connection_changed:
            await self._coordinator.async_refresh()

    def _journal_replaced(self, page: EventPage) -> bool:
        """Whether the add-on now answers from another journal than before.

        Catches a wiped journal that has already grown past this entry's
        position, which `last_seq` alone cannot tell.
        """
        return (
            page.journal_id is not None
            and self.journal_id is not None
            and page.journal_id != self.journal_id
        )

    def _fire_new(self, event: JournalEvent) -> bool:
        """Fire one event unless it is older than the entry; skip one that cannot be.

        An event that cannot be fired would fail the same way on every retry
        and hold up every message behind it, so it is logged and skipped.
        """
        try:
            if event.at < self._entry.created_at:
                return False
            return self._fire(event)
        except Exception:  # noqa: BLE001 - one bad event must not stop the rest
            LOGGER.exception(
                "Skipped WhatsApp journal event %s (%s), which could not be processed",
                event.seq,
                event.type,
            )
            return False

    def _cursor(self) -> StoredCursor:
        return {"last_seq": self.last_seq or 0, "journal_id": self.journal_id}

    async def _async_save_cursor(self) -> None:
        if self.last_seq is None or self._cursor() == self._saved:
            return
        cursor = self._cursor()
        await self._store.async_save(cursor)
        self._saved = cursor

    @callback
    def _fire(self, event: JournalEvent) -> bool:
        """Fire the Home Assistant events for one journal event.

        Returns whether it was a connection change, which the caller turns
        into a single session refresh per page.
        """
        match event.type:
            case JournalEventType.MESSAGE:
                self.incoming.handle(event.data)
            case JournalEventType.MESSAGE_STATUS:
                self._hass.bus.async_fire(
                    EVENT_MESSAGE_STATUS,
                    {**event.data, ATTR_ENTRY_ID: self._entry.entry_id},
                )
            case JournalEventType.CONNECTION:
                return True
        return False

    @callback
    def _report_lost_events(self, lost: int) -> None:
        LOGGER.warning(
            "The WhatsApp add-on at %s dropped %s events before they were read",
            self._client.url,
            lost,
        )
        async_report_events_lost(
            self._hass, self._entry.entry_id, self._client.url, lost
        )
