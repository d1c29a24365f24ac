"""The add-on client against the real add-on, and against servers that are not the add-on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest

from custom_components.whatsapp_bridge.api import (
    SessionState,
    Text,
    WhatsAppAccountNotFoundError,
    WhatsAppApiError,
    WhatsAppAuthError,
    WhatsAppClient,
    WhatsAppConnectionError,
    WhatsAppTooManyAccountsError,
)

from .addon_server import DEFAULT_PHONE

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .addon_server import Addon


async def test_client_reads_the_real_addon(hass: HomeAssistant, addon: Addon) -> None:
    """Health, session and the add-on's own errors, as the add-on really sends them."""
    client = WhatsAppClient(
        addon.url + "/", addon.api_key, async_get_clientsession(hass)
    )
    # A just-started add-on takes a moment to get its first QR code.
    await addon.wait_for_qr()

    health = await client.health()
    session = await client.session()
    assert health.status == "ok"
    assert session.state is SessionState.PAIRING
    assert session.qr is not None
    assert session.linked_account is None

    with pytest.raises(WhatsAppApiError) as caught:
        await client.request_pairing_code("12")
    assert caught.value.status == 400
    assert caught.value.code == "invalid_phone_number"
    assert caught.value.message

    wrong = WhatsAppClient(addon.url, "wrong", async_get_clientsession(hass))
    with pytest.raises(WhatsAppAuthError):
        await wrong.session()


@pytest.mark.addon_env(WA_MAX_ACCOUNTS="2")
async def test_client_serves_each_account_on_its_own(
    hass: HomeAssistant, addon: Addon
) -> None:
    """Accounts are listed, created and deleted; a client reaches its account only."""
    default = WhatsAppClient(addon.url, addon.api_key, async_get_clientsession(hass))
    await addon.link()

    office_id = await default.create_account("office")
    office = default.for_account(office_id)
    assert office.account == "office"
    await addon.account("office").link("+15550000002")

    accounts = {account.id: account for account in await default.list_accounts()}
    assert list(accounts) == ["default", "office"]
    assert accounts["office"].state is SessionState.CONNECTED
    assert accounts["office"].linked_account is not None
    assert accounts["office"].linked_account.phone == "+15550000002"
    session = await office.session()
    assert session.me is not None
    assert session.me.phone == "+15550000002"
    assert (await default.session()).me.phone == DEFAULT_PHONE  # type: ignore[union-attr]

    await office.send("+4917612345678", Text(text="from the office"))
    assert [m["text"] for m in await addon.account("office").outbox()] == [
        "from the office"
    ]
    assert await addon.outbox() == []

    with pytest.raises(WhatsAppTooManyAccountsError) as caught:
        await default.create_account()
    assert caught.value.status == 409
    assert caught.value.message

    await default.delete_account("office")
    assert [account.id for account in await default.list_accounts()] == ["default"]
    with pytest.raises(WhatsAppAccountNotFoundError) as missing:
        await office.session()
    assert missing.value.status == 404


@pytest.mark.parametrize(
    ("answer", "complaint"),
    [
        ({"status": 404, "text": "<html>Not Found</html>"}, "not JSON"),
        ({"status": 500, "json": {"detail": "boom"}}, "HTTP 500"),
        ({"json": ["not", "an", "object"]}, "expected a JSON object"),
        ({"json": {"state": "connected"}}, "KeyError"),
        ({"json": {"state": "connected", "since": 1}}, "ISO 8601"),
        ({"json": {"state": "sleeping", "since": "2026-01-01T00:00:00Z"}}, "sleeping"),
    ],
)
async def test_something_else_on_the_port_is_not_the_addon(
    hass: HomeAssistant,
    other_server: tuple[str, dict[str, Any]],
    answer: dict[str, Any],
    complaint: str,
) -> None:
    """Answers the client cannot understand are reported, not crashed on."""
    url, server_answer = other_server
    server_answer.update(answer)
    client = WhatsAppClient(url, "key", async_get_clientsession(hass))

    with pytest.raises(WhatsAppConnectionError, match=complaint):
        await client.session()


async def test_silent_server_times_out(
    hass: HomeAssistant, other_server: tuple[str, dict[str, Any]]
) -> None:
    """A server that never answers is given up on after the request timeout."""
    url, answer = other_server
    answer.update(delay=1, json={})
    client = WhatsAppClient(
        url, "key", async_get_clientsession(hass), request_timeout=0.1
    )

    with pytest.raises(WhatsAppConnectionError, match=r"did not answer within 0\.1 s"):
        await client.health()
