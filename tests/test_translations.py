"""The texts users read: complete, consistent across languages, valid for Home Assistant."""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re
import string
from typing import Any

import homeassistant
from homeassistant.helpers import config_validation as cv, selector
from homeassistant.util.yaml import load_yaml_dict
import pytest

from custom_components.whatsapp_bridge.messaging import ADDON_ERRORS, CALLER_ERRORS

INTEGRATION = Path(__file__).parents[1] / "custom_components" / "whatsapp_bridge"
STRINGS = json.loads((INTEGRATION / "strings.json").read_text())
SERVICES = load_yaml_dict(str(INTEGRATION / "services.yaml"))
ICONS = json.loads((INTEGRATION / "icons.json").read_text())
CORE_STRINGS = json.loads(
    (Path(homeassistant.__file__).parent / "strings.json").read_text()
)
REFERENCE = re.compile(r"^\[%key:(.+)%\]$")
# The same rules Home Assistant's hassfest applies to translation strings.
URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)
QUOTED_PLACEHOLDER = re.compile(r"'{\w+}'")


def flatten(node: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """`{"a": {"b": "text"}}` as `{"a::b": "text"}`."""
    flat: dict[str, str] = {}
    for key, value in node.items():
        path = f"{prefix}::{key}" if prefix else key
        if isinstance(value, dict):
            flat |= flatten(value, path)
        else:
            flat[path] = value
    return flat


def resolve(node: Any) -> Any:
    """Replace `[%key:…%]` references by the text they point to."""
    if isinstance(node, dict):
        return {key: resolve(value) for key, value in node.items()}
    if match := REFERENCE.match(node):
        source, *path = match.group(1).split("::")
        target: Any = CORE_STRINGS[source] if source == "common" else None
        if source == "component":
            assert path[0] == "whatsapp_bridge"
            target, path = STRINGS, path[1:]
        for part in path:
            target = target[part]
        return resolve(target)
    return node


def placeholders(text: str) -> set[str]:
    """The `{name}` placeholders of a text."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def load(language: str) -> dict[str, Any]:
    """One translation file."""
    return dict(
        json.loads((INTEGRATION / "translations" / f"{language}.json").read_text())
    )


def test_english_is_strings_json_with_references_resolved() -> None:
    """translations/en.json is what Home Assistant generates from strings.json."""
    assert load("en") == resolve(STRINGS)


@pytest.mark.parametrize("language", ["en", "de"])
def test_translation_follows_home_assistant_rules(language: str) -> None:
    """No HTML, no URLs, no quoted placeholders, no stray spaces."""
    for key, text in flatten(load(language)).items():
        cv.string_with_no_html(text)
        assert not URL.search(text), key
        assert not QUOTED_PLACEHOLDER.search(text), key
        assert text == text.strip(), key
        assert all(name.isidentifier() for name in placeholders(text)), key


def test_german_has_every_text_with_the_same_placeholders() -> None:
    """Nothing is missing in German, and every placeholder is still there."""
    english, german = flatten(load("en")), flatten(load("de"))
    assert german.keys() == english.keys()
    for key, text in english.items():
        assert placeholders(german[key]) == placeholders(text), key


def class_sources(path: Path) -> dict[str, str]:
    """The source code of each class in a module, by class name."""
    source = path.read_text()
    return {
        node.name: ast.get_source_segment(source, node) or ""
        for node in ast.parse(source).body
        if isinstance(node, ast.ClassDef)
    }


FLOWS = {
    **class_sources(INTEGRATION / "config_flow.py"),
    **class_sources(INTEGRATION / "linking_flow.py"),
    **class_sources(INTEGRATION / "account_flow.py"),
    **class_sources(INTEGRATION / "options_flow.py"),
    **class_sources(INTEGRATION / "recipient_flow.py"),
}
# Each flow and the part of strings.json that holds its texts; the config flow
# includes the account-choosing and account-linking steps it inherits.
FLOW_STRINGS = [
    pytest.param(
        FLOWS["WhatsAppConfigFlow"]
        + FLOWS["AccountChoiceFlow"]
        + FLOWS["AccountLinkingFlow"],
        STRINGS["config"],
        id="config",
    ),
    pytest.param(FLOWS["WhatsAppOptionsFlow"], STRINGS["options"], id="options"),
    pytest.param(
        FLOWS["RecipientSubentryFlow"],
        STRINGS["config_subentries"]["recipient"],
        id="recipient",
    ),
]


@pytest.mark.parametrize(("flow", "texts"), FLOW_STRINGS)
def test_every_key_a_flow_uses_is_translated(flow: str, texts: dict[str, Any]) -> None:
    """Errors, aborts, progress texts and steps (with their dialog titles) a flow names exist, and no others."""
    errors = set(re.findall(r'errors\[[^\]]+\] = "(\w+)"', flow))
    errors |= set(re.findall(r'self\._pairing_code_error = "(\w+)"', flow))
    aborts = set(re.findall(r'(?:reason=|AbortFlow\()"(\w+)"', flow))
    progress = set(re.findall(r'progress_action="(\w+)"', flow))
    forms = set(
        re.findall(r'async_show_(?:form|menu|progress)\(\s*step_id="(\w+)"', flow)
    )
    assert errors
    assert errors == texts["error"].keys()
    assert aborts <= texts.get("abort", {}).keys()
    assert progress == texts.get("progress", {}).keys()
    assert forms == texts["step"].keys()


def test_every_exception_the_code_raises_is_translated() -> None:
    """Literal keys, and the keys add-on error codes are mapped to."""
    code = "".join(path.read_text() for path in INTEGRATION.glob("*.py"))
    used = set(re.findall(r'translation_key\s*=\s*"(\w+)"', code))
    used |= {*CALLER_ERRORS.values(), *ADDON_ERRORS.values(), "addon_error"}
    entities = STRINGS["entity"]["sensor"].keys() | STRINGS["entity"]["event"].keys()
    assert used <= STRINGS["exceptions"].keys() | STRINGS["issues"].keys() | entities
    assert STRINGS["exceptions"].keys() <= used


def test_data_descriptions_describe_existing_fields() -> None:
    """hassfest rejects descriptions of fields a step does not have."""
    steps = {
        **STRINGS["config"]["step"],
        **STRINGS["options"]["step"],
        **STRINGS["config_subentries"]["recipient"]["step"],
    }
    for step_id, step in steps.items():
        for field in step.get("data_description", {}):
            assert field in step.get("data", {}), (step_id, field)


def test_every_action_field_is_described_with_a_valid_selector() -> None:
    """services.yaml, strings.json and icons.json name the same actions and fields."""
    described = STRINGS["services"]
    assert SERVICES.keys() == described.keys() == ICONS["services"].keys()
    for action, spec in SERVICES.items():
        assert spec["fields"].keys() == described[action]["fields"].keys(), action
        assert described[action]["name"]
        assert described[action]["description"]
        for field, field_spec in spec["fields"].items():
            selector.validate_selector(field_spec["selector"])
            texts = described[action]["fields"][field]
            assert texts["name"], (action, field)
            assert texts["description"], (action, field)
            choice = field_spec["selector"].get("select")
            if choice and "translation_key" in choice:
                options = STRINGS["selector"][choice["translation_key"]]["options"]
                assert options.keys() == set(choice["options"]), (action, field)


@pytest.mark.parametrize("language", ["en", "de"])
def test_api_key_texts_do_not_send_users_to_the_web_page(language: str) -> None:
    """The app's page no longer shows the key: discovery hands it over, else the
    `api_key` option or the `api_key` file in the app's storage.
    """
    config = load(language)["config"]
    texts = [
        config["error"]["invalid_auth"],
        *(
            config["step"][step]["data_description"]["api_key"]
            for step in ("user", "reauth_api_key", "reconfigure")
        ),
    ]
    for text in texts:
        assert "api_key" in text, text
        assert not re.search(r"web ?page|web-ui|webseite|cop(y|ie)|kopier", text, re.I)
