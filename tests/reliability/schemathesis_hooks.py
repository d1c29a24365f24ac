"""Hooks the fuzz run loads into Schemathesis (through SCHEMATHESIS_HOOKS)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import schemathesis

if TYPE_CHECKING:
    from schemathesis import Case, HookContext

MEDIA_PREFIXES = ("image/", "video/", "audio/", "application/octet-stream")
# A long poll with nothing newer than `after` is held for `wait` seconds, as the contract says.
# Valid waits are shortened so thousands of cases finish in minutes; invalid ones stay as drawn.
LONGEST_FUZZED_WAIT = 2
API_LONGEST_WAIT = 60
# Each route exists unscoped (the account `default`) and per account.
EVENTS_LABELS = ("GET /v1/events", "GET /v1/accounts/{account}/events")
UPLOAD_LABELS = ("POST /v1/media", "POST /v1/accounts/{account}/media")
# Accounts the run creates start unlinked and answer 503 `not_connected`, like the unlinked
# session the run leaves alone: per-account routes are fuzzed on the linked account instead.
LINKED_ACCOUNT = "default"


@schemathesis.hook
def map_case(context: HookContext, case: Case) -> Case:
    """Send per-account routes to the linked account, shorten waits, upload bytes as binary.

    Uploads accept any type (any file can go out as a document), and the add-on
    serves a file back under the type it was uploaded with. Schemathesis picks
    types such as `text/vnd.yaml` for the random bytes and then fails to parse
    what comes back, which says nothing about the add-on.
    """
    label = case.operation.label
    if "{account}" in case.operation.path and isinstance(case.path_parameters, dict):
        case.path_parameters["account"] = LINKED_ACCOUNT
    if label in EVENTS_LABELS and isinstance(case.query, dict):
        wait = case.query.get("wait")
        if isinstance(wait, int) and 0 <= wait <= API_LONGEST_WAIT:
            case.query["wait"] = min(wait, LONGEST_FUZZED_WAIT)
    if label in UPLOAD_LABELS and not (case.media_type or "").startswith(
        MEDIA_PREFIXES
    ):
        case.media_type = "application/octet-stream"
    return case
