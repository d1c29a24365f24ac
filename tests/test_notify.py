"""Notifications: recipients, their notify entities, and the legacy notify services."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.notify import (
    ATTR_MESSAGE,
    ATTR_TITLE,
    DOMAIN as NOTIFY_DOMAIN,
    SERVICE_SEND_MESSAGE,
)
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.const import ATTR_ENTITY_ID, CONF_API_KEY, CONF_URL
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.whatsapp_bridge.const import DOMAIN

from .conftest import DEFAULT_JID, free_port, mock_entry

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.core import HomeAssistant

    from .conftest import Addon, Outbox

ANNA = "+4917612345678"
ANNA_JID = "4917612345678@s.whatsapp.net"
BEN = "+4917698765432"
BEN_JID = "4917698765432@s.whatsapp.net"
FAMILY = "120363000000000001@g.us"
ANNA_ENTITY = "notify.anna"
FAMILY_ENTITY = "notify.family"


def recipient(title: str, target: str, jid: str) -> ConfigSubentryData:
    """A recipient subentry as the recipient flow creates it."""
    return ConfigSubentryData(
        data={"recipient": target},
        subentry_type="recipient",
        title=title,
        unique_id=jid,
    )


@pytest.fixture
async def entry_with_recipients(
    hass: HomeAssistant, shared_addon: Addon
) -> MockConfigEntry:
    """A loaded entry with Anna and the family group as recipients."""
    entry = mock_entry(
        shared_addon,
        subentries=[
            recipient("Anna", ANNA, ANNA_JID),
            recipient("Family", FAMILY, FAMILY),
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def add_recipient(
    hass: HomeAssistant, entry: MockConfigEntry, kind: str, user_input: dict[str, Any]
) -> dict[str, Any]:
    """Walk the recipient flow: choose person or group, then submit `user_input`."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "recipient"), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": kind}
    )
    assert result["type"] is FlowResultType.FORM
    return dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], user_input
        )
    )


async def test_adding_a_person_checks_the_number(
    hass: HomeAssistant, shared_entry: MockConfigEntry, outbox: Outbox
) -> None:
    """Typos and numbers without WhatsApp are caught; the entity appears at once."""
    flow = await hass.config_entries.subentries.async_init(
        (shared_entry.entry_id, "recipient"), context={"source": "user"}
    )
    flow = await hass.config_entries.subentries.async_configure(
        flow["flow_id"], {"next_step_id": "person"}
    )
    for number, error in (
        ("12", "invalid_phone_number"),
        ("+4915100000000", "not_on_whatsapp"),
    ):
        flow = await hass.config_entries.subentries.async_configure(
            flow["flow_id"], {"name": "Anna", "phone_number": number}
        )
        assert flow["type"] is FlowResultType.FORM
        assert flow["errors"] == {"phone_number": error}
    flow = await hass.config_entries.subentries.async_configure(
        flow["flow_id"], {"name": "Anna", "phone_number": "0049 176 12345678"}
    )

    assert flow["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = shared_entry.subentries.values()
    assert (subentry.title, subentry.unique_id) == ("Anna", ANNA_JID)
    assert dict(subentry.data) == {"recipient": ANNA}
    await hass.async_block_till_done()
    state = hass.states.get(ANNA_ENTITY)
    assert state is not None
    assert state.attributes["supported_features"] == 1

    await hass.services.async_call(
        NOTIFY_DOMAIN,
        SERVICE_SEND_MESSAGE,
        {ATTR_ENTITY_ID: ANNA_ENTITY, ATTR_TITLE: "Washer", ATTR_MESSAGE: "Done"},
        blocking=True,
    )

    (message,) = await outbox.messages()
    assert (message["to"], message["text"]) == (ANNA_JID, "*Washer*\nDone")

    again = await add_recipient(
        hass, shared_entry, "person", {"name": "Anna 2", "phone_number": ANNA}
    )
    assert again["type"] is FlowResultType.ABORT
    assert again["reason"] == "already_configured"


async def test_adding_a_group_offers_the_account_s_groups(
    hass: HomeAssistant, shared_entry: MockConfigEntry, outbox: Outbox
) -> None:
    """The groups come from WhatsApp; the entity is named after the group."""
    flow = await hass.config_entries.subentries.async_init(
        (shared_entry.entry_id, "recipient"), context={"source": "user"}
    )
    flow = await hass.config_entries.subentries.async_configure(
        flow["flow_id"], {"next_step_id": "group"}
    )
    options = flow["data_schema"].schema["group"].config["options"]
    assert {"value": FAMILY, "label": "Family"} in options

    flow = await hass.config_entries.subentries.async_configure(
        flow["flow_id"], {"group": FAMILY}
    )
    assert flow["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    await hass.services.async_call(
        NOTIFY_DOMAIN,
        SERVICE_SEND_MESSAGE,
        {ATTR_ENTITY_ID: FAMILY_ENTITY, ATTR_MESSAGE: "Dinner!"},
        blocking=True,
    )
    (message,) = await outbox.messages()
    assert (message["to"], message["text"]) == (FAMILY, "Dinner!")

    again = await add_recipient(hass, shared_entry, "group", {"group": FAMILY})
    assert again["reason"] == "already_configured"


async def test_recipients_need_a_loaded_account(
    hass: HomeAssistant, shared_addon: Addon
) -> None:
    """Numbers and groups can only be looked up while the account runs."""
    entry = mock_entry(shared_addon)
    entry.add_to_hass(hass)

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "recipient"), context={"source": "user"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"


async def test_recipient_entities_belong_to_the_account_device(
    hass: HomeAssistant, entry_with_recipients: MockConfigEntry
) -> None:
    """One device per recipient, reached through the account's; removing one removes it."""
    registry = er.async_get(hass)
    devices = dr.async_get(hass)
    device = devices.async_get_device_by_identifier(
        (DOMAIN, DEFAULT_JID), entry_with_recipients.entry_id
    )
    assert device is not None
    entities = {
        entity.entity_id: entity
        for entity in er.async_entries_for_config_entry(
            registry, entry_with_recipients.entry_id
        )
        if entity.domain == NOTIFY_DOMAIN
    }
    assert entities.keys() == {ANNA_ENTITY, FAMILY_ENTITY}
    for entity in entities.values():
        recipient = devices.async_get(entity.device_id or "")
        assert recipient is not None
        assert recipient.via_device_id == device.id
        assert recipient.config_subentry_id == entity.config_subentry_id
    family = devices.async_get(entities[FAMILY_ENTITY].device_id or "")
    assert family is not None
    assert (family.name, family.model) == ("Family", "Group")

    anna = entities[ANNA_ENTITY]
    hass.config_entries.async_remove_subentry(
        entry_with_recipients, anna.config_subentry_id
    )
    await hass.async_block_till_done()

    assert registry.async_get(ANNA_ENTITY) is None
    assert hass.states.get(ANNA_ENTITY) is None
    assert hass.states.get(FAMILY_ENTITY) is not None


async def test_legacy_notify_sends_to_targets_or_every_recipient(
    hass: HomeAssistant,
    shared_addon: Addon,
    entry_with_recipients: MockConfigEntry,
    outbox: Outbox,
    tmp_path: Path,
) -> None:
    """`notify.whatsapp_bridge` and `notify.whatsapp_bridge_<digits>`, with and without targets."""
    question = await shared_addon.incoming(**{"from": BEN, "text": "What happened?"})
    photo = tmp_path / "snapshot.jpg"
    photo.write_bytes(b"\xff\xd8 a photo")
    hass.config.allowlist_external_dirs = {str(tmp_path)}

    await hass.services.async_call(
        NOTIFY_DOMAIN,
        "whatsapp_bridge",
        {ATTR_MESSAGE: "Door opened", ATTR_TITLE: "Alarm"},
        blocking=True,
    )
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        "whatsapp_bridge_15550000001",
        {
            ATTR_MESSAGE: "Look",
            "target": [BEN],
            "data": {"media": str(photo), "reply_to": question, "mentions": [BEN]},
        },
        blocking=True,
    )
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        "whatsapp_bridge",
        {
            ATTR_MESSAGE: "The car is here",
            "target": BEN,
            "data": {
                "location": {"latitude": 48.1, "longitude": 11.5, "name": "Parking"}
            },
        },
        blocking=True,
    )

    anna, family, image, text, pin = await outbox.messages()
    assert [(m["to"], m["text"]) for m in (anna, family)] == [
        (ANNA_JID, "*Alarm*\nDoor opened"),
        (FAMILY, "*Alarm*\nDoor opened"),
    ]
    assert (image["to"], image["type"], image["caption"]) == (BEN_JID, "image", "Look")
    assert (image["reply_to"], image["mentions"]) == (question, [BEN_JID])
    assert (text["to"], text["text"]) == (BEN_JID, "The car is here")
    assert (pin["type"], pin["latitude"], pin["name"]) == ("location", 48.1, "Parking")


@pytest.mark.parametrize(
    ("data", "key", "english"),
    [
        (
            {ATTR_MESSAGE: "Hi", "target": [ANNA], "data": {"colour": "red"}},
            "invalid_notify_data",
            "It takes media, media_type, filename, location, reply_to and mentions",
        ),
        (
            {ATTR_MESSAGE: "Hi"},
            "no_target",
            "This notification has no recipient",
        ),
        (
            {ATTR_MESSAGE: " ", "target": [ANNA]},
            "empty_message",
            "There is nothing to send",
        ),
    ],
)
@pytest.mark.usefixtures("shared_entry")
async def test_legacy_notify_refuses_what_it_cannot_send(
    hass: HomeAssistant,
    outbox: Outbox,
    data: dict[str, Any],
    key: str,
    english: str,
) -> None:
    """Unknown data, no recipient at all, nothing to say: refused, nothing sent."""
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            NOTIFY_DOMAIN, "whatsapp_bridge", data, blocking=True
        )

    assert caught.value.translation_key == key
    assert english in str(caught.value)
    assert await outbox.messages() == []


async def test_legacy_notify_services_go_with_the_last_account(
    hass: HomeAssistant, shared_entry: MockConfigEntry
) -> None:
    """They survive reloads, and are removed with the account."""
    assert hass.services.has_service(NOTIFY_DOMAIN, "whatsapp_bridge")
    assert hass.services.has_service(NOTIFY_DOMAIN, "whatsapp_bridge_15550000001")

    assert await hass.config_entries.async_reload(shared_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.services.has_service(NOTIFY_DOMAIN, "whatsapp_bridge_15550000001")

    await hass.config_entries.async_remove(shared_entry.entry_id)
    await hass.async_block_till_done()

    assert not hass.services.has_service(NOTIFY_DOMAIN, "whatsapp_bridge")
    assert not hass.services.has_service(NOTIFY_DOMAIN, "whatsapp_bridge_15550000001")


async def test_legacy_notify_exists_while_the_account_cannot_load(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    """With the add-on away, notify.whatsapp_bridge says the account is not ready."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="+15550000001",
        unique_id=DEFAULT_JID,
        data={CONF_URL: f"http://127.0.0.1:{free_port()}", CONF_API_KEY: "key"},
    )
    entry.add_to_hass(hass)

    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_RETRY
    for service in ("whatsapp_bridge", "whatsapp_bridge_15550000001"):
        with pytest.raises(HomeAssistantError) as caught:
            await hass.services.async_call(
                NOTIFY_DOMAIN,
                service,
                {ATTR_MESSAGE: "Hi", "target": ANNA},
                blocking=True,
            )
        assert caught.value.translation_key == "entry_not_loaded"
        assert "The WhatsApp account +15550000001 is not ready" in str(caught.value)
