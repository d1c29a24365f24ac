"""Several WhatsApp numbers on one add-on: one config entry per add-on account.

Every number is linked through the real config flow ("link another number")
with a phone of its own on the simulated network, and each entry must see and
send only its own number's messages.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiohttp import web
from homeassistant.components.notify import DOMAIN as NOTIFY_DOMAIN
from homeassistant.config_entries import SOURCE_HASSIO, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.whatsapp_bridge.const import (
    CONF_ACCOUNT,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
)

from .conftest import DEFAULT_JID, DEFAULT_PHONE, mock_entry
from .helpers import FlowProgress, wait_until
from .test_config_flow import discovery, finish_pairing, pair_by_qr, start_user_flow

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from homeassistant.config_entries import ConfigEntry, ConfigFlowResult
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from .conftest import AccountCalls, Addon

PHONES = ["+15550000001", "+15550000002", "+15550000003"]
CONTACT = "+4917612345678"


def jid_of(phone: str) -> str:
    """The phone-number jid WhatsApp gives a linked number."""
    return f"{phone[1:]}@s.whatsapp.net"


async def newest_account(addon: Addon) -> AccountCalls:
    """The account the add-on created last."""
    return addon.account((await addon.accounts())[-1]["id"])


async def link_another_number(
    hass: HomeAssistant, addon: Addon, phone: str
) -> ConfigEntry:
    """Add WhatsApp again, accept "link another number" and scan with `phone`."""
    result = await start_user_flow(hass, addon)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "link_another"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    account = await newest_account(addon)
    result = await pair_by_qr(hass, result, lambda: account.scan(phone))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == phone
    entry: ConfigEntry = result["result"]
    assert entry.unique_id == jid_of(phone)
    assert entry.data == {
        CONF_URL: addon.url,
        CONF_API_KEY: addon.api_key,
        CONF_ACCOUNT: account.prefix.rsplit("/", 1)[-1],
    }
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def set_up_numbers(
    hass: HomeAssistant, addon: Addon, count: int
) -> list[ConfigEntry]:
    """The default number linked by QR code, then `count - 1` more by "link another"."""
    result = await start_user_flow(hass, addon)
    result = await pair_by_qr(hass, result, lambda: addon.scan(PHONES[0]))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entries = [result["result"]]
    entries += [
        await link_another_number(hass, addon, phone) for phone in PHONES[1:count]
    ]
    return entries


def account_of(addon: Addon, entry: ConfigEntry) -> AccountCalls:
    """The add-on account an entry is for."""
    account = entry.data[CONF_ACCOUNT]
    return addon if account == "default" else addon.account(account)


async def send(hass: HomeAssistant, entry: ConfigEntry, text: str) -> dict[str, Any]:
    """Send a text to the contact from the number of `entry`."""
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"config_entry_id": entry.entry_id, "target": [CONTACT], "message": text},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return response


@pytest.mark.addon_env(WA_MAX_ACCOUNTS="3")
async def test_three_numbers_each_see_and_send_their_own(
    hass: HomeAssistant, addon: Addon
) -> None:
    """Three numbers on one add-on, each an entry that hears and speaks for itself."""
    entries = await set_up_numbers(hass, addon, 3)
    assert [entry.title for entry in entries] == PHONES
    assert len({entry.data[CONF_ACCOUNT] for entry in entries}) == 3
    accounts = await addon.accounts()
    assert [account["me"]["phone"] for account in accounts] == PHONES

    # Messages to each number fire events for that number's entry only.
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    sent_ids = {
        entry.entry_id: await account_of(addon, entry).incoming(
            text=f"to {entry.title}"
        )
        for entry in entries
    }
    await wait_until(lambda: len(received) >= 3, what="a message for each number")
    await hass.async_block_till_done()
    assert len(received) == 3
    assert {event.data["entry_id"]: event.data["id"] for event in received} == sent_ids
    for event in received:
        entry = hass.config_entries.async_get_entry(event.data["entry_id"])
        assert entry is not None
        assert event.data["text"] == f"to {entry.title}"

    # A send from each entry goes out from its own number only.
    for entry in entries:
        await send(hass, entry, f"from {entry.title}")
    for entry in entries:
        outbox = await account_of(addon, entry).outbox()
        assert [message["text"] for message in outbox] == [f"from {entry.title}"]

    # Actions must name the number; the legacy notify service exists per number.
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "send_message",
            {"target": [CONTACT], "message": "which number?"},
            blocking=True,
        )
    assert caught.value.translation_key == "several_entries"
    assert ", ".join(PHONES) in str(caught.value)
    for phone in PHONES:
        assert hass.services.has_service(NOTIFY_DOMAIN, f"whatsapp_bridge_{phone[1:]}")

    # Every number is set up: the next one is offered a new account.
    result = await start_user_flow(hass, addon)
    assert result["step_id"] == "link_another"
    assert result["description_placeholders"]["count"] == "3"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "too_many_accounts"
    assert result["description_placeholders"] == {"count": "3"}
    assert len(await addon.accounts()) == 3


async def test_account_without_entry_is_offered_first(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """A number linked in the add-on (its web page, say) is set up, not a new one."""
    mock_entry(linked_addon).add_to_hass(hass)
    office = await linked_addon.create_account("office")
    await office.link(PHONES[1])

    result = await start_user_flow(hass, linked_addon)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == PHONES[1]
    assert result["data"][CONF_ACCOUNT] == "office"
    assert [account["id"] for account in await linked_addon.accounts()] == [
        "default",
        "office",
    ]


async def test_account_still_pairing_is_linked_in_the_dialog(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """An account left pairing (a flow given up, say) is linked, not another made."""
    mock_entry(linked_addon).add_to_hass(hass)
    office = await linked_addon.create_account("office")

    result = await start_user_flow(hass, linked_addon)
    assert result["type"] is FlowResultType.MENU
    result = await pair_by_qr(hass, result, lambda: office.scan(PHONES[1]))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == jid_of(PHONES[1])
    assert result["data"][CONF_ACCOUNT] == "office"
    assert len(await linked_addon.accounts()) == 2


async def test_link_another_by_pairing_code(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """The new number can be linked by typing a code instead of scanning."""
    mock_entry(linked_addon).add_to_hass(hass)
    result = await start_user_flow(hass, linked_addon)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "pair_code"}
    )
    progress = FlowProgress(hass, result["flow_id"])
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"phone_number": PHONES[1]}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    account = await newest_account(linked_addon)
    code = (await account.session())["pairing_code"]
    assert result["description_placeholders"] == {"code": f"{code[:4]}-{code[4:]}"}
    # The default number shows no code: the new account is the one pairing.
    assert (await linked_addon.session())["pairing_code"] is None

    await account.scan(PHONES[1])
    result = await finish_pairing(progress)
    progress.close()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == jid_of(PHONES[1])


async def test_discovery_offers_the_next_number(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """The Supervisor's announcement sets up a linked number that has no entry."""
    mock_entry(linked_addon).add_to_hass(hass)
    office = await linked_addon.create_account("office")
    await office.link(PHONES[1])

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery(linked_addon)
    )
    assert result["step_id"] == "hassio_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == jid_of(PHONES[1])
    assert result["data"][CONF_ACCOUNT] == "office"


async def test_discovery_links_another_number(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """With every number set up, the announcement links a new one in one dialog."""
    mock_entry(linked_addon).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery(linked_addon)
    )
    assert result["step_id"] == "link_another"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    account = await newest_account(linked_addon)
    result = await pair_by_qr(hass, result, lambda: account.scan(PHONES[1]))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == jid_of(PHONES[1])
    assert result["data"][CONF_URL] == f"http://127.0.0.1:{linked_addon.port}"


async def remove_and_fix(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: ConfigEntry
) -> dict[str, Any]:
    """Remove the entry, then accept the repair that offers to unlink its number."""
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    issue_id = f"unlink_account_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {"phone": entry.title}

    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    assert flow["description_placeholders"]["phone"] == entry.title
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}")
    answer: dict[str, Any] = await response.json()
    if answer["type"] == "create_entry":
        assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    return answer


async def test_removing_an_entry_offers_to_delete_its_account(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, addon: Addon
) -> None:
    """Remove the entry, accept the repair: the add-on forgets the number's data."""
    entries = await set_up_numbers(hass, addon, 2)
    office = account_of(addon, entries[1])
    account_dir = addon.data_dir / "accounts" / entries[1].data[CONF_ACCOUNT]
    assert account_dir.is_dir()

    answer = await remove_and_fix(hass, hass_client, entries[1])

    assert answer["type"] == "create_entry"
    assert [account["id"] for account in await addon.accounts()] == ["default"]
    assert not account_dir.exists()
    await office.request("GET", f"{office.prefix}/session", expect=404)
    # The other number is untouched.
    assert entries[0].state is ConfigEntryState.LOADED
    assert (await addon.session())["me"]["phone"] == PHONES[0]


async def test_removing_the_default_number_unlinks_it(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    linked_addon: Addon,
) -> None:
    """The default account always exists: the repair logs it out instead."""
    answer = await remove_and_fix(hass, hass_client, loaded_entry)

    assert answer["type"] == "create_entry"
    assert (await linked_addon.session())["me"] is None


async def test_unlink_repair_waits_for_the_addon(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    linked_addon: Addon,
) -> None:
    """With the add-on away, the repair says so and can be retried."""
    await hass.config_entries.async_unload(loaded_entry.entry_id)
    await linked_addon.async_stop()

    answer = await remove_and_fix(hass, hass_client, loaded_entry)

    assert answer["type"] == "form"
    assert answer["errors"] == {"base": "cannot_connect"}
    await linked_addon.async_start()
    client = await hass_client()
    response = await client.post(f"/api/repairs/issues/fix/{answer['flow_id']}")
    assert (await response.json())["type"] == "create_entry"
    assert (await linked_addon.session())["me"] is None


async def test_entry_from_before_accounts_is_the_default_account(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """An entry without `account` is migrated to `default` and loads as before."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=DEFAULT_PHONE,
        unique_id=DEFAULT_JID,
        data={CONF_URL: linked_addon.url, CONF_API_KEY: linked_addon.api_key},
        version=1,
        minor_version=1,
    )
    entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert entry.minor_version == 2
    assert entry.data == {
        CONF_URL: linked_addon.url,
        CONF_API_KEY: linked_addon.api_key,
        CONF_ACCOUNT: "default",
    }


async def test_entry_from_a_newer_version_is_left_alone(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    """A downgrade does not load an entry it cannot understand."""
    entry = MockConfigEntry(domain=DOMAIN, unique_id=DEFAULT_JID, version=2)
    entry.add_to_hass(hass)

    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


async def test_number_deleted_in_the_addon_is_linked_again_by_reauth(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """Its account was deleted in the add-on: re-authentication creates and links it."""
    office = await linked_addon.create_account("office")
    await office.link(PHONES[1])
    entry = mock_entry(linked_addon, jid_of(PHONES[1]), account="office")
    entry.add_to_hass(hass)
    await linked_addon.request("DELETE", "/v1/accounts/office")

    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    assert result["step_id"] == "reauth_confirm"

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert [account["id"] for account in await linked_addon.accounts()] == [
        "default",
        "office",
    ]
    result = await pair_by_qr(hass, result, lambda: office.scan(PHONES[1]))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_ACCOUNT] == "office"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_keeps_the_account(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """The add-on moved; the entry follows it and stays with its own number."""
    office = await linked_addon.create_account("office")
    await office.link(PHONES[1])
    entry = mock_entry(linked_addon, jid_of(PHONES[1]), account="office")
    entry.add_to_hass(hass)
    await linked_addon.async_move()

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: linked_addon.url, CONF_API_KEY: linked_addon.api_key},
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {
        CONF_URL: linked_addon.url,
        CONF_API_KEY: linked_addon.api_key,
        CONF_ACCOUNT: "office",
    }
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_to_an_addon_without_the_number(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """Pointing the entry at an add-on that lacks its account is refused."""
    entry = mock_entry(linked_addon, jid_of(PHONES[1]), account="office")
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: linked_addon.url, CONF_API_KEY: linked_addon.api_key},
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "account_not_found"}
    hass.config_entries.flow.async_abort(result["flow_id"])


async def test_unlink_repair_when_the_account_is_gone_or_the_key_changed(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, linked_addon: Addon
) -> None:
    """Already deleted counts as done; a key the add-on no longer takes is explained."""
    assert await async_setup_component(hass, DOMAIN, {})
    await linked_addon.create_account("office")
    gone = mock_entry(linked_addon, jid_of(PHONES[1]), account="office")
    gone.add_to_hass(hass)
    await linked_addon.request("DELETE", "/v1/accounts/office")
    assert (await remove_and_fix(hass, hass_client, gone))["type"] == "create_entry"

    outdated = mock_entry(linked_addon)
    outdated.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        outdated, data={**outdated.data, CONF_API_KEY: "outdated"}
    )
    answer = await remove_and_fix(hass, hass_client, outdated)
    assert answer["type"] == "form"
    assert answer["errors"] == {"base": "invalid_auth"}
    # The number stays linked: nothing was done with the wrong key.
    assert (await linked_addon.session())["me"]["phone"] == DEFAULT_PHONE


@pytest.fixture
async def addon_before_accounts(
    socket_enabled: None,
) -> AsyncGenerator[tuple[str, str]]:
    """An add-on from before accounts existed: one session, no `/v1/accounts`."""
    api_key = "key-of-an-older-add-on"
    session = {
        "state": "connected",
        "me": {"jid": DEFAULT_JID, "phone": DEFAULT_PHONE, "name": None},
        "qr": None,
        "pairing_code": None,
        "last_disconnect": None,
        "since": "2026-01-01T00:00:00+00:00",
    }

    async def answer(request: web.Request) -> web.Response:
        if request.path == "/health":
            return web.json_response(
                {"status": "ok", "version": "0.1.0", "state": "connected"}
            )
        if request.headers.get("Authorization") != f"Bearer {api_key}":
            return web.json_response({"error": {"code": "unauthorized"}}, status=401)
        if request.path == "/v1/session":
            return web.json_response(session)
        if request.path == "/v1/events":
            await asyncio.sleep(0.2)
            return web.json_response(
                {"events": [], "last_seq": 0, "oldest_seq": 0, "gap": False}
            )
        return web.json_response(
            {"error": {"code": "not_found", "message": "No such route."}}, status=404
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", api_key
    await runner.cleanup()


async def test_addon_from_before_accounts_serves_one_number(
    hass: HomeAssistant, addon_before_accounts: tuple[str, str]
) -> None:
    """Its one number is set up as `default`; linking another asks for an update."""
    url, api_key = addon_before_accounts

    async def add_whatsapp() -> ConfigFlowResult:
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
        return await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: url, CONF_API_KEY: api_key}
        )

    result = await add_whatsapp()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_ACCOUNT] == "default"
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    result = await add_whatsapp()
    assert result["step_id"] == "link_another"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "accounts_not_supported"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_discovery_hands_a_new_key_to_every_number(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, linked_addon: Addon
) -> None:
    """The add-on restarted with a new key: the Supervisor's announcement fixes the entry."""
    await linked_addon.async_stop()
    linked_addon.api_key = "a-new-key-after-the-restart"
    await linked_addon.async_start()

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery(linked_addon)
    )
    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done()

    assert loaded_entry.data[CONF_API_KEY] == "a-new-key-after-the-restart"
    assert loaded_entry.data[CONF_URL] == f"http://127.0.0.1:{linked_addon.port}"
    await wait_until(
        lambda: loaded_entry.state is ConfigEntryState.LOADED,
        what="the entry to load again with the new key",
    )


async def test_link_another_needs_the_addon(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """The add-on went away before the user agreed: the dialog says so."""
    mock_entry(linked_addon).add_to_hass(hass)
    result = await start_user_flow(hass, linked_addon)
    assert result["step_id"] == "link_another"
    await linked_addon.async_stop()

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


@pytest.mark.addon_env(WA_MAX_ACCOUNTS="2")
async def test_deleted_number_cannot_come_back_past_the_limit(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """Re-authentication cannot create the account again when the add-on is full."""
    entry = mock_entry(linked_addon, jid_of(PHONES[1]), account="office")
    entry.add_to_hass(hass)
    await linked_addon.create_account("office")
    await linked_addon.request("DELETE", "/v1/accounts/office")
    await linked_addon.create_account("holiday-flat")

    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "too_many_accounts"
    assert result["description_placeholders"] == {"count": "2"}
