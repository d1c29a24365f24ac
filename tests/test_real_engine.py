"""One user's first day, end to end through the real WhatsApp engine.

The add-on runs Baileys itself against the fake WhatsApp network: pairing is the
real multi-device handshake, messages are end-to-end encrypted by the contacts
and decrypted by Baileys, and what Home Assistant sends is decrypted by them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.whatsapp_bridge.const import (
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
)

from .conftest import DEFAULT_PHONE, Addon
from .flows import pair_by_qr, start_user_flow
from .helpers import wait_until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

# A contact the network addresses by LID, as WhatsApp does for most chats now.
ALICE_PHONE = "+4917612345678"
ALICE_JID = "4917612345678@s.whatsapp.net"
ALICE_LID_JID = "123456789012345@lid"


async def test_pair_receive_send_and_read_on_the_real_engine(
    hass: HomeAssistant, addon: Addon
) -> None:
    """Pair in the UI, hear from a LID contact, answer, and see it read."""
    result = await start_user_flow(hass, addon)
    result = await pair_by_qr(hass, result, addon.scan)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == DEFAULT_PHONE
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    statuses = async_capture_events(hass, EVENT_MESSAGE_STATUS)

    # The contact writes from her LID; Home Assistant must still see her number.
    incoming_id = await addon.incoming(
        **{"from": ALICE_LID_JID, "text": "is the garage closed?", "name": "Alice"}
    )
    await wait_until(lambda: received, what="the LID-addressed message")
    message = received[0].data
    assert message["id"] == incoming_id
    assert message["text"] == "is the garage closed?"
    assert message["sender_phone"] == ALICE_PHONE
    assert message["chat"] == ALICE_JID
    assert message["sender_name"] == "Alice"
    assert message["entry_id"] == entry.entry_id

    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {
            "target": [ALICE_PHONE],
            "message": "Yes, it is closed.",
            "reply_to": incoming_id,
        },
        blocking=True,
        return_response=True,
    )
    assert response is not None
    sent_id = response["messages"][0]["id"]

    async def decrypted_by_alice() -> bool:
        return any(m["id"] == sent_id for m in await addon.outbox())

    await wait_until(decrypted_by_alice, what="Alice to decrypt the answer")
    answer = next(m for m in await addon.outbox() if m["id"] == sent_id)
    assert answer["to"] == ALICE_JID
    assert answer["type"] == "text"
    assert answer["text"] == "Yes, it is closed."

    await wait_until(
        lambda: any(
            e.data["id"] == sent_id and e.data["status"] == "read" for e in statuses
        ),
        what="Alice's read receipt",
    )
    read = next(e.data for e in statuses if e.data["status"] == "read")
    assert read["chat"] == ALICE_JID
    assert read["entry_id"] == entry.entry_id
