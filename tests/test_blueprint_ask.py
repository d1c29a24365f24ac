"""The "ask on WhatsApp, then act on the answer" blueprint."""

from __future__ import annotations

from pathlib import Path
import shutil
from typing import TYPE_CHECKING, Any

from homeassistant.components.automation import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.core import SupportsResponse
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_mock_service

from custom_components.whatsapp_bridge.const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

BLUEPRINTS = Path(__file__).parents[1] / "blueprints" / "automation" / DOMAIN
CONTACT = "+4917612345678"


@pytest.fixture(autouse=True)
def blueprints_in_config(hass: HomeAssistant, tmp_path: Path) -> None:
    """Home Assistant with the blueprints where a user's import puts them."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints" / "automation" / DOMAIN)


@pytest.mark.parametrize(
    ("answer", "ran"),
    [("Close it", "close"), ("Leave it", "leave"), (None, "nobody")],
)
async def test_the_answer_chooses_the_actions(
    hass: HomeAssistant, answer: str | None, ran: str
) -> None:
    """The poll offers both answers; the chosen one (or none) picks the actions."""
    asked = async_mock_service(
        hass,
        DOMAIN,
        "ask",
        response={"answer": answer, "voter": CONTACT, "message_id": "3EB0POLL"},
        supports_response=SupportsResponse.ONLY,
    )
    actions = {
        name: async_mock_service(hass, "test", name)
        for name in ("close", "leave", "nobody")
    }
    inputs: dict[str, Any] = {
        "when": [{"trigger": "event", "event_type": "garage_open"}],
        "recipient": CONTACT,
        "question": "Garage open. Close it?",
        "yes_option": "Close it",
        "no_option": "Leave it",
        "timeout": 60,
        "yes_actions": [{"action": "test.close"}],
        "no_actions": [{"action": "test.leave"}],
        "timeout_actions": [{"action": "test.nobody"}],
    }
    config = {"use_blueprint": {"path": f"{DOMAIN}/ask.yaml", "input": inputs}}
    assert await async_setup_component(
        hass, AUTOMATION_DOMAIN, {AUTOMATION_DOMAIN: [config]}
    )
    await hass.async_block_till_done()

    hass.bus.async_fire("garage_open")
    await hass.async_block_till_done()

    (call,) = asked
    assert dict(call.data) == {
        "target": CONTACT,
        "question": "Garage open. Close it?",
        "options": ["Close it", "Leave it"],
        "timeout": 60,
    }
    assert {name: len(calls) for name, calls in actions.items()} == {
        name: int(name == ran) for name in actions
    }
