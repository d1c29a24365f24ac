"""The add-on client's content and chat actions, as they reach WhatsApp's outbox."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest

from custom_components.whatsapp_bridge.api import (
    ApiErrorCode,
    Contact,
    Location,
    Media,
    MediaKind,
    Poll,
    PresenceState,
    Reaction,
    Text,
    WhatsAppApiError,
    WhatsAppClient,
    received_media_id,
)

from .chats import FAMILY, PHONE, PHONE_JID

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .addon_server import Addon, Outbox


async def test_every_kind_of_content_arrives_as_sent(
    hass: HomeAssistant, shared_addon: Addon, outbox: Outbox
) -> None:
    """Each content type reaches WhatsApp with exactly its own fields."""
    client = WhatsAppClient(
        shared_addon.url, shared_addon.api_key, async_get_clientsession(hass)
    )
    pdf = b"%PDF-1.4 invoice"
    uploaded = await client.upload_media(pdf, "application/pdf", "Rechnung März.pdf")
    assert uploaded.mimetype == "application/pdf"
    assert uploaded.size == len(pdf)
    contents = [
        Text(text="Hi"),
        Media(kind=MediaKind.DOCUMENT, media_id=uploaded.media_id, caption="Bill"),
        Media(
            kind=MediaKind.AUDIO,
            media_id=uploaded.media_id,
            caption="dropped: audio has none",
            voice=True,
        ),
        Location(latitude=52.52, longitude=13.405, name="Home", address="Street 1"),
        Contact(name="Anna", phone="+4915112345678"),
        Poll(question="Pizza?", options=("yes", "no"), multiple=True),
    ]

    sent = [
        await client.send(FAMILY, content, mentions=[PHONE]) for content in contents
    ]
    reply = await client.send(FAMILY, Text(text="Agreed"), reply_to=sent[0].id)
    # A reaction names its message itself; WhatsApp has no quote on reactions.
    reaction = await client.send(
        PHONE, Reaction(message_id=sent[0].id, emoji="👍"), reply_to=sent[0].id
    )

    messages = await outbox.messages()
    assert [m["id"] for m in messages] == [m.id for m in [*sent, reply, reaction]]
    text, document, voice, location, contact, poll, replied, reacted = messages
    assert text["text"] == "Hi"
    assert text["to"] == FAMILY
    assert text["mentions"] == [PHONE_JID]
    assert document["type"] == "document"
    assert document["caption"] == "Bill"
    assert document["filename"] == "Rechnung März.pdf"
    assert document["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert voice["type"] == "audio"
    assert voice["voice"] is True
    assert voice["caption"] is None
    assert location["latitude"] == 52.52
    assert location["address"] == "Street 1"
    assert (contact["name"], contact["phone"]) == ("Anna", "+4915112345678")
    assert poll["options"] == ["yes", "no"]
    assert poll["multiple"] is True
    assert reacted["to"] == PHONE_JID
    assert reacted["emoji"] == "👍"
    assert reacted["message_id"] == sent[0].id
    assert replied["reply_to"] == sent[0].id
    assert "reply_to" not in reacted
    assert sent[0].to == FAMILY


async def test_chat_actions_groups_numbers_and_media(
    hass: HomeAssistant, shared_addon: Addon, outbox: Outbox
) -> None:
    """Edits, deletes, read receipts, presence, groups, number checks, media bytes."""
    client = WhatsAppClient(
        shared_addon.url, shared_addon.api_key, async_get_clientsession(hass)
    )
    question = await shared_addon.incoming(text="Still there?")
    sent = await client.send(PHONE, Text(text="typo"))
    # Written as people write it: the path segment must survive `+` and spaces.
    chat = "+49 176 12345678"

    await client.edit_message(chat, sent.id, "fixed")
    await client.delete_message(PHONE_JID, sent.id)
    await client.mark_read(chat)
    # Nothing new arrived since: nothing to tell WhatsApp.
    await client.mark_read(chat)
    await client.mark_read(PHONE_JID, ["ABC", "DEF"])
    await client.set_presence(FAMILY, PresenceState.COMPOSING)

    messages = (await outbox.messages())[1:]
    assert [(m["type"], m["to"]) for m in messages] == [
        ("edit", PHONE_JID),
        ("delete", PHONE_JID),
        ("read", PHONE_JID),
        ("read", PHONE_JID),
        ("presence", FAMILY),
    ]
    assert messages[0]["text"] == "fixed"
    assert messages[1]["message_id"] == sent.id
    assert messages[2]["message_ids"] == [question]
    assert messages[3]["message_ids"] == ["ABC", "DEF"]
    assert messages[4]["state"] == "composing"

    with pytest.raises(WhatsAppApiError) as edit_refused:
        await client.edit_message(PHONE, "3EB0NOTMINE", "no")
    with pytest.raises(WhatsAppApiError) as delete_refused:
        await client.delete_message(PHONE, "3EB0NOTMINE")
    assert edit_refused.value.code == ApiErrorCode.MESSAGE_NOT_FOUND
    assert delete_refused.value.code == ApiErrorCode.MESSAGE_NOT_FOUND
    assert len(await outbox.messages()) == 1 + len(messages), "nothing more was sent"

    groups = await client.groups()
    assert {(g.jid, g.subject, g.participants) for g in groups} >= {
        (FAMILY, "Family", 4),
        ("120363000000000002@g.us", "Neighbours", 12),
    }
    check = await client.check_number("0049 176 12345678")
    assert (check.phone, check.exists, check.jid) == (PHONE, True, PHONE_JID)
    missing = await client.check_number("+4915100000000")
    assert (missing.exists, missing.jid) == (False, None)

    uploaded = await client.upload_media(b"\x89PNG...", "image/png", "dot.png")
    media = await client.media(uploaded.media_id)
    assert (media.data, media.mimetype, media.filename) == (
        b"\x89PNG...",
        "image/png",
        "dot.png",
    )
    with pytest.raises(WhatsAppApiError) as caught:
        await client.media(received_media_id("3EB0UNKNOWN"))
    assert caught.value.code == ApiErrorCode.MEDIA_NOT_FOUND
