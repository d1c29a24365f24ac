"""Turns the add-on's event journal into Home Assistant events, each exactly once."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import TYPE_CHECKING, Any, TypedDict

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.storage import Store

from .api import (
    EventPage,
    JournalEvent,
    JournalEventType,
    WhatsAppClient,
    WhatsAppError,
)
from .const import (
    ATTR_ARGS,
    ATTR_COMMAND,
    ATTR_ENTRY_ID,
    DOMAIN,
    EVENT_COMMAND,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_SENT,
    EVENT_MESSAGE_STATUS,
    LOGGER,
    signal_message_received,
)

if TYPE_CHECKING:
    from .coordinator import WhatsAppConfigEntry, WhatsAppSessionCoordinator

STORAGE_VERSION = 1
# The add-on answers a long poll as soon as an event exists, so a long wait
# costs nothing and keeps requests rare while idle.
EVENTS_WAIT_SECONDS = 30
EVENTS_PAGE_SIZE = 100
RETRY_INITIAL_DELAY = 1.0
RETRY_MAX_DELAY = 60.0


class _StoredCursor(TypedDict):
    last_seq: int


def events_lost_issue_id(entry_id: str) -> str:
    """Repair issue raised when the add-on trimmed events before they were read."""
    return f"events_lost_{entry_id}"


def cursor_store(hass: HomeAssistant, entry_id: str) -> Store[_StoredCursor]:
    """Where an entry keeps the sequence number of the last event it fired."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}")


def parse_command(message: dict[str, Any]) -> tuple[str, list[str]] | None:
    """Split `/name arg1 arg2` into the command's name and its arguments.

    The name is lower-cased: phone keyboards like to capitalise the first word.
    """
    text = message.get("text")
    if message.get("kind") != "text" or not isinstance(text, str):
        return None
    if not text.startswith("/") or len(text) < 2 or text[1].isspace():
        return None
    name, *args = text[1:].split()
    return name.lower(), args


class WhatsAppEventListener:
    """Long-polls the journal of one add-on for one config entry.

    The sequence number of the last fired event is stored only after firing,
    so a crash at worst repeats the events of one poll, and never skips one.
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
        # None until the first event is fired: then the journal is read from
        # its start, but only events newer than the entry itself are fired.
        self.last_seq: int | None = None
        self._saved_seq: int | None = None
        self.reachable = True
        self._task: asyncio.Task[None] | None = None

    async def async_start(self) -> None:
        """Resume after the last event fired before and start polling."""
        if stored := await self._store.async_load():
            self.last_seq = self._saved_seq = stored["last_seq"]
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
        await self._async_save_cursor()

    async def _async_run(self) -> None:
        delay = RETRY_INITIAL_DELAY
        while True:
            after = self.last_seq or 0
            try:
                page = await self._client.events(
                    after, limit=EVENTS_PAGE_SIZE, wait=EVENTS_WAIT_SECONDS
                )
            except WhatsAppError as err:
                await self._async_lost_contact(err)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_DELAY)
                continue
            delay = RETRY_INITIAL_DELAY
            if not self.reachable:
                await self._async_regained_contact()
            await self._async_process(page, after)

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
        if page.last_seq < after:
            LOGGER.info(
                "The event journal of the WhatsApp add-on at %s starts over (its data "
                "was reset); reading it from the beginning",
                self._client.url,
            )
            self.last_seq = 0
            await self._async_save_cursor()
            return
        if page.gap and self.last_seq is not None:
            self._report_lost_events(page.oldest_seq - after - 1)
        connection_changed = False
        for event in page.events:
            if event.seq <= after:
                continue
            # Replaying a journal from its start must not repeat history from
            # before this entry existed.
            if event.at >= self._entry.created_at:
                connection_changed |= self._fire(event)
            self.last_seq = event.seq
        await self._async_save_cursor()
        if connection_changed:
            await self._coordinator.async_refresh()

    async def _async_save_cursor(self) -> None:
        if self.last_seq is None or self.last_seq == self._saved_seq:
            return
        await self._store.async_save({"last_seq": self.last_seq})
        self._saved_seq = self.last_seq

    @callback
    def _fire(self, event: JournalEvent) -> bool:
        """Fire the Home Assistant events for one journal event.

        Returns whether it was a connection change, which the caller turns
        into a single session refresh per page.
        """
        match event.type:
            case JournalEventType.MESSAGE:
                self._fire_message(event.data)
            case JournalEventType.MESSAGE_STATUS:
                self._hass.bus.async_fire(
                    EVENT_MESSAGE_STATUS,
                    {**event.data, ATTR_ENTRY_ID: self._entry.entry_id},
                )
            case JournalEventType.CONNECTION:
                return True
        return False

    @callback
    def _fire_message(self, message: dict[str, Any]) -> None:
        payload = {**message, ATTR_ENTRY_ID: self._entry.entry_id}
        if message.get("from_me"):
            self._hass.bus.async_fire(EVENT_MESSAGE_SENT, payload)
        else:
            self._hass.bus.async_fire(EVENT_MESSAGE_RECEIVED, payload)
            async_dispatcher_send(
                self._hass, signal_message_received(self._entry.entry_id), message
            )
        if (command := parse_command(message)) is not None:
            name, args = command
            self._hass.bus.async_fire(
                EVENT_COMMAND, {**payload, ATTR_COMMAND: name, ATTR_ARGS: args}
            )

    @callback
    def _report_lost_events(self, lost: int) -> None:
        LOGGER.warning(
            "The WhatsApp add-on at %s dropped %s events before they were read",
            self._client.url,
            lost,
        )
        issue_id = events_lost_issue_id(self._entry.entry_id)
        count = lost
        # Until the user acknowledges the issue, it tells the total.
        if issue := ir.async_get(self._hass).async_get_issue(DOMAIN, issue_id):
            count += int((issue.translation_placeholders or {}).get("count", 0))
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id,
            is_fixable=True,
            is_persistent=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key="events_lost",
            translation_placeholders={"count": str(count), "url": self._client.url},
        )
