"""The entry's position in the add-on's journal: where it starts, and what it survives."""

from __future__ import annotations

from collections import Counter
import shutil
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.whatsapp_bridge.api import EventPage, WhatsAppClient
from custom_components.whatsapp_bridge.const import DOMAIN, EVENT_MESSAGE_RECEIVED
from custom_components.whatsapp_bridge.issues import (
    events_lost_issue_id,
    listener_failing_issue_id,
)
from custom_components.whatsapp_bridge.listener import FAILURES_BEFORE_ISSUE

from .conftest import mock_entry
from .helpers import wait_until

if TYPE_CHECKING:
    from homeassistant.core import Event, HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from .conftest import Addon


def ids(events: list[Event]) -> Counter[str]:
    """How often each message id was fired."""
    return Counter(event.data["id"] for event in events)


async def test_a_new_entry_starts_at_the_end_of_the_journal(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """A first start neither replays the history nor writes the position per page.

    Messages from before the entry existed must not fire automations, and a
    journal of tens of thousands of them must not be read to find that out.
    """
    history = [await linked_addon.incoming(text=f"old {n}") for n in range(30)]
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    fetched: list[int] = []
    saved: list[Any] = []
    fetch, save = WhatsAppClient.events, Store.async_save

    async def counting_fetch(
        client: WhatsAppClient, after: int, **kwargs: Any
    ) -> EventPage:
        page = await fetch(client, after, **kwargs)
        fetched.append(len(page.events))
        return page

    async def counting_save(store: Store[Any], data: Any) -> None:
        if store.key.startswith(DOMAIN):
            saved.append(data)
        await save(store, data)

    # Pages as small as the history is short, so it would take several.
    with (
        patch("custom_components.whatsapp_bridge.listener.EVENTS_PAGE_SIZE", 5),
        patch.object(WhatsAppClient, "events", counting_fetch),
        patch.object(Store, "async_save", counting_save),
    ):
        entry = mock_entry(linked_addon)
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        new = await linked_addon.incoming(text="new")
        await wait_until(lambda: received, what="the new message")

    assert ids(received) == Counter([new])
    assert not set(history) & set(ids(received))
    # Two single-event reads find the end of the history; then the new message.
    assert sum(fetched) <= 3, fetched
    assert len(saved) <= 2, saved


async def test_messages_since_the_entry_was_added_fire_even_if_it_started_later(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """The first start finds where the entry's time begins, not just the journal's end.

    Between adding the entry and its first start (the app still starting,
    say) messages may arrive; they are the entry's, the older ones are not.
    """
    history = [await linked_addon.incoming(text=f"old {n}") for n in range(7)]
    entry = mock_entry(linked_addon)
    entry.add_to_hass(hass)
    early = [await linked_addon.incoming(text=f"early {n}") for n in range(3)]
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await wait_until(lambda: len(received) >= len(early), what="the early messages")

    assert ids(received) == Counter(early)
    assert not set(history) & set(ids(received))


async def test_a_wiped_journal_that_outgrew_the_position_is_read_again(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """The add-on lost its data while Home Assistant was away and has since got more
    events than before: its journal id tells, and the user is told events may be lost.
    """
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await linked_addon.incoming(text="before the wipe")
    await wait_until(lambda: received, what="the first message")
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    await linked_addon.async_stop()
    shutil.rmtree(linked_addon.data_dir)
    await linked_addon.async_start()
    await linked_addon.link()
    after_wipe = [await linked_addon.incoming(text=f"new {n}") for n in range(8)]
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)

    await wait_until(
        lambda: len(received) >= 1 + len(after_wipe), what="every new message"
    )
    assert ids(received[1:]) == Counter(after_wipe)
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, events_lost_issue_id(loaded_entry.entry_id)
    )
    assert issue is not None
    assert issue.translation_key == "journal_replaced"
    assert issue.is_fixable


async def test_a_failing_listener_keeps_going_and_says_so(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    linked_addon: Addon,
    caplog: Any,
) -> None:
    """Saving the position fails for a while: logged once, a repair issue, no message lost."""
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    listener = loaded_entry.runtime_data.listener
    attempts = 0
    disk_full = True
    save = listener._store.async_save

    async def failing_save(data: Any) -> None:
        nonlocal attempts
        attempts += 1
        if disk_full:
            raise OSError(28, "No space left on device")
        await save(data)

    registry = ir.async_get(hass)
    issue_id = listener_failing_issue_id(loaded_entry.entry_id)
    with patch.object(listener._store, "async_save", failing_save):
        first = await linked_addon.incoming(text="while failing")
        await wait_until(
            lambda: registry.async_get_issue(DOMAIN, issue_id) is not None,
            what="the repair issue",
            within=30,
        )
        assert attempts >= FAILURES_BEFORE_ISSUE
        issue = registry.async_get_issue(DOMAIN, issue_id)
        assert issue.translation_key == "listener_failing"
        assert "No space left on device" in issue.translation_placeholders["error"]
        assert loaded_entry.title == issue.translation_placeholders["account"]

        disk_full = False
        second = await linked_addon.incoming(text="after the disk was freed")
        await wait_until(lambda: len(received) >= 2, what="the second message")
        await wait_until(
            lambda: registry.async_get_issue(DOMAIN, issue_id) is None,
            what="the repair issue to clear",
        )

    assert ids(received) == Counter([first, second])
    logged = [r for r in caplog.records if "cannot be processed" in r.getMessage()]
    assert len(logged) == 1
    assert "processed again" in caplog.text
