"""Actions on chats and messages already there, and questions to WhatsApp."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import ATTR_STATE

from .api import Reaction, WhatsAppError
from .const import (
    ATTR_CHAT,
    ATTR_EMOJI,
    ATTR_MESSAGE,
    ATTR_MESSAGE_ID,
    ATTR_MESSAGE_IDS,
    ATTR_PHONE,
)
from .messaging import translate_error
from .service_entry import client_for_call

if TYPE_CHECKING:
    from homeassistant.core import ServiceCall, ServiceResponse


async def async_handle_send_reaction(call: ServiceCall) -> None:
    """React to a message with an emoji, or take the reaction back."""
    client = client_for_call(call)
    chat, message_id = call.data[ATTR_CHAT], call.data[ATTR_MESSAGE_ID]
    reaction = Reaction(message_id=message_id, emoji=call.data[ATTR_EMOJI])
    try:
        await client.send(chat, reaction)
    except WhatsAppError as err:
        raise translate_error(err, target=chat, message_id=message_id) from err


async def async_handle_edit_message(call: ServiceCall) -> None:
    """Replace the text of a message this account sent."""
    client = client_for_call(call)
    message_id = call.data[ATTR_MESSAGE_ID]
    try:
        await client.edit_message(
            call.data[ATTR_CHAT], message_id, call.data[ATTR_MESSAGE]
        )
    except WhatsAppError as err:
        raise translate_error(err, message_id=message_id) from err


async def async_handle_delete_message(call: ServiceCall) -> None:
    """Delete a message this account sent, for everyone."""
    client = client_for_call(call)
    message_id = call.data[ATTR_MESSAGE_ID]
    try:
        await client.delete_message(call.data[ATTR_CHAT], message_id)
    except WhatsAppError as err:
        raise translate_error(err, message_id=message_id) from err


async def async_handle_mark_read(call: ServiceCall) -> None:
    """Mark messages of a chat as read."""
    client = client_for_call(call)
    try:
        await client.mark_read(
            call.data[ATTR_CHAT], call.data.get(ATTR_MESSAGE_IDS, ())
        )
    except WhatsAppError as err:
        raise translate_error(err) from err


async def async_handle_set_presence(call: ServiceCall) -> None:
    """Show typing, recording, online or offline in a chat."""
    client = client_for_call(call)
    try:
        await client.set_presence(call.data[ATTR_CHAT], call.data[ATTR_STATE])
    except WhatsAppError as err:
        raise translate_error(err) from err


async def async_handle_get_groups(call: ServiceCall) -> ServiceResponse:
    """Answer with the groups the account is in."""
    client = client_for_call(call)
    try:
        groups = await client.groups()
    except WhatsAppError as err:
        raise translate_error(err) from err
    return {
        "groups": [
            {
                "jid": group.jid,
                "subject": group.subject,
                "participants": group.participants,
            }
            for group in groups
        ]
    }


async def async_handle_check_number(call: ServiceCall) -> ServiceResponse:
    """Answer whether a phone number uses WhatsApp."""
    client = client_for_call(call)
    try:
        check = await client.check_number(call.data[ATTR_PHONE])
    except WhatsAppError as err:
        raise translate_error(err) from err
    return {"phone": check.phone, "exists": check.exists, "jid": check.jid}
