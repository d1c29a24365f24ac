"""Repair issues: what an account's user must know about and cannot see elsewhere."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .api import DEFAULT_ACCOUNT, StorageProblem
from .const import CONF_ACCOUNT, DOMAIN

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.config_entries import ConfigEntry

# Translation keys of the issue telling that events were lost: with a count
# when the add-on trimmed them, without one when its journal was replaced.
EVENTS_LOST: Final = "events_lost"
JOURNAL_REPLACED: Final = "journal_replaced"
LISTENER_FAILING: Final = "listener_failing"
UNLINK_ACCOUNT: Final = "unlink_account"
# What the fix of the unlink issue needs once the entry is gone.
ISSUE_DATA_PHONE: Final = "phone"
STORAGE_ISSUES: Final[dict[StorageProblem, str]] = {
    StorageProblem.STORAGE_FULL: "storage_full",
    StorageProblem.STORAGE_ERROR: "storage_error",
}


def events_lost_issue_id(entry_id: str) -> str:
    """Repair issue raised when events were lost before they were read."""
    return f"events_lost_{entry_id}"


def listener_failing_issue_id(entry_id: str) -> str:
    """Repair issue raised while incoming messages cannot be processed."""
    return f"listener_failing_{entry_id}"


def unlink_account_issue_id(entry_id: str) -> str:
    """Repair issue offering to unlink the number of a removed entry."""
    return f"{UNLINK_ACCOUNT}_{entry_id}"


def storage_issue_id(entry_id: str) -> str:
    """Repair issue raised while the add-on cannot write its data."""
    return f"storage_{entry_id}"


@callback
def async_report_events_lost(
    hass: HomeAssistant, entry_id: str, url: str, lost: int
) -> None:
    """Tell how many events were lost; until acknowledged, the issue adds them up."""
    issue_id = events_lost_issue_id(entry_id)
    count = lost
    if issue := ir.async_get(hass).async_get_issue(DOMAIN, issue_id):
        count += int((issue.translation_placeholders or {}).get("count", 0))
    _async_create_events_lost(
        hass, issue_id, EVENTS_LOST, {"count": str(count), "url": url}
    )


@callback
def async_report_journal_replaced(hass: HomeAssistant, entry_id: str, url: str) -> None:
    """Tell that the add-on's journal started over, so unread events may be lost."""
    _async_create_events_lost(
        hass, events_lost_issue_id(entry_id), JOURNAL_REPLACED, {"url": url}
    )


def _async_create_events_lost(
    hass: HomeAssistant, issue_id: str, key: str, placeholders: dict[str, str]
) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=True,
        is_persistent=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=key,
        translation_placeholders=placeholders,
    )


@callback
def async_report_listener_failing(
    hass: HomeAssistant, entry_id: str, account: str, error: str
) -> None:
    """Tell that incoming messages are stuck; cleared once they flow again."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        listener_failing_issue_id(entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=LISTENER_FAILING,
        translation_placeholders={"account": account, "error": error},
    )


@callback
def async_clear_listener_failing(hass: HomeAssistant, entry_id: str) -> None:
    """Incoming messages flow again, or nobody listens any more."""
    ir.async_delete_issue(hass, DOMAIN, listener_failing_issue_id(entry_id))


@callback
def async_report_storage(
    hass: HomeAssistant, entry_id: str, problem: StorageProblem | None, url: str
) -> None:
    """Raise the storage issue while the add-on reports one, and clear it after."""
    issue_id = storage_issue_id(entry_id)
    if problem is None:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=STORAGE_ISSUES[problem],
        translation_placeholders={"url": url},
    )


def async_clear_storage_issue(hass: HomeAssistant, entry_id: str) -> Callable[[], None]:
    """Return what clears the storage issue when the entry stops watching the add-on."""

    @callback
    def clear() -> None:
        ir.async_delete_issue(hass, DOMAIN, storage_issue_id(entry_id))

    return clear


@callback
def async_delete_entry_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Forget every issue of a removed entry."""
    for issue_id in (
        events_lost_issue_id(entry_id),
        listener_failing_issue_id(entry_id),
        storage_issue_id(entry_id),
    ):
        ir.async_delete_issue(hass, DOMAIN, issue_id)


@callback
def async_offer_account_removal(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Offer to unlink a removed entry's number and delete its data in the add-on.

    Home Assistant asks nothing when an entry is removed, so the offer is a
    fixable issue; ignoring it keeps the number linked in the add-on.
    """
    account = entry.data.get(CONF_ACCOUNT, DEFAULT_ACCOUNT)
    ir.async_create_issue(
        hass,
        DOMAIN,
        unlink_account_issue_id(entry.entry_id),
        is_fixable=True,
        is_persistent=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=UNLINK_ACCOUNT,
        translation_placeholders={"phone": entry.title},
        data={
            CONF_URL: entry.data[CONF_URL],
            CONF_API_KEY: entry.data[CONF_API_KEY],
            CONF_ACCOUNT: account,
            ISSUE_DATA_PHONE: entry.title,
        },
    )
