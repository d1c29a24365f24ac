"""The shipped blueprints import into Home Assistant and do what they promise."""

from __future__ import annotations

from pathlib import Path
import shutil
from typing import TYPE_CHECKING, Any

from homeassistant.components.automation import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_mock_service

from custom_components.whatsapp_bridge.const import DOMAIN, EVENT_COMMAND

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

BLUEPRINTS = Path(__file__).parents[1] / "blueprints" / "automation" / DOMAIN
CONTACT = "+4917612345678"
CHAT = "4917612345678@s.whatsapp.net"


@pytest.fixture(autouse=True)
def blueprints_in_config(hass: HomeAssistant, tmp_path: Path) -> None:
    """Home Assistant with the blueprints where a user's import puts them."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints" / "automation" / DOMAIN)


async def _use(hass: HomeAssistant, blueprint: str, inputs: dict[str, Any]) -> None:
    config = {"use_blueprint": {"path": f"{DOMAIN}/{blueprint}", "input": inputs}}
    assert await async_setup_component(
        hass, AUTOMATION_DOMAIN, {AUTOMATION_DOMAIN: [config]}
    )
    await hass.async_block_till_done()
    state = hass.states.async_all(AUTOMATION_DOMAIN)
    assert [s.state for s in state] == ["on"], "the automation loaded"


def test_every_blueprint_is_tested() -> None:
    assert sorted(p.name for p in BLUEPRINTS.glob("*.yaml")) == [
        "ask.yaml",  # in test_blueprint_ask.py
        "command.yaml",
        "notify_when.yaml",
    ]


async def test_notify_when_sends_the_message(hass: HomeAssistant) -> None:
    sent = async_mock_service(hass, "notify", "send_message")
    await _use(
        hass,
        "notify_when.yaml",
        {
            "when": [{"trigger": "event", "event_type": "door_opened"}],
            "recipient": "notify.anna",
            "title": "Home",
            "message": "Door open at {{ 2 + 2 }}",
        },
    )

    hass.bus.async_fire("door_opened")
    await hass.async_block_till_done()

    assert len(sent) == 1
    assert sent[0].data["entity_id"] == ["notify.anna"]
    assert sent[0].data["title"] == "Home"
    assert sent[0].data["message"] == "Door open at 4"


async def _command(hass: HomeAssistant, sender: str, command: str, *args: str) -> None:
    hass.bus.async_fire(
        EVENT_COMMAND,
        {
            "id": "3EB0CMD",
            "chat": CHAT,
            "sender_phone": sender,
            "entry_id": "entry1",
            "command": command,
            "args": list(args),
        },
    )
    await hass.async_block_till_done()


async def test_command_runs_only_for_the_chosen_contact(hass: HomeAssistant) -> None:
    ran = async_mock_service(hass, "test", "lights")
    replies = async_mock_service(hass, DOMAIN, "send_message")
    await _use(
        hass,
        "command.yaml",
        {
            "contact": "+49 176 12345678",
            "command": "/Lights",
            "reply": "Done",
            "actions": [{"action": "test.lights", "data": {"how": "{{ args[0] }}"}}],
        },
    )

    await _command(hass, "+4915100000000", "lights", "off")
    await _command(hass, CONTACT, "heating", "on")
    assert ran == []

    await _command(hass, CONTACT, "lights", "off")
    assert [call.data["how"] for call in ran] == ["off"]
    assert len(replies) == 1
    assert replies[0].data["target"] == [CHAT]
    assert replies[0].data["message"] == "Done"
    assert replies[0].data["reply_to"] == "3EB0CMD"
    assert replies[0].data["config_entry_id"] == "entry1"


async def test_command_without_reply_only_runs_the_actions(hass: HomeAssistant) -> None:
    ran = async_mock_service(hass, "test", "lights")
    replies = async_mock_service(hass, DOMAIN, "send_message")
    await _use(
        hass,
        "command.yaml",
        {
            "contact": CONTACT,
            "command": "lights",
            "actions": [{"action": "test.lights"}],
        },
    )

    await _command(hass, CONTACT, "lights")

    assert len(ran) == 1
    assert replies == []
