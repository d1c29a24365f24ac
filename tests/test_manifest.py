"""The manifest as Home Assistant's hassfest and HACS expect it."""

from __future__ import annotations

import json
from pathlib import Path

MANIFEST = json.loads(
    (
        Path(__file__).parents[1] / "custom_components/whatsapp_bridge/manifest.json"
    ).read_text()
)


def test_manifest_keys_are_in_hassfest_order() -> None:
    """`domain` and `name` first, then the rest alphabetically."""
    keys = list(MANIFEST)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_manifest_describes_a_cloud_push_service_integration() -> None:
    """A config flow, no Python requirements, and a version for HACS.

    Messages come through WhatsApp's cloud, and the account is a service, not a device.
    """
    assert MANIFEST["domain"] == "whatsapp_bridge"
    assert MANIFEST["name"] == "WhatsApp"
    assert MANIFEST["config_flow"] is True
    assert MANIFEST["iot_class"] == "cloud_push"
    assert MANIFEST["integration_type"] == "service"
    assert MANIFEST["requirements"] == []
    assert MANIFEST["version"] == "0.1.0"
    assert all(owner.startswith("@") for owner in MANIFEST["codeowners"])
    assert MANIFEST["documentation"].startswith("https://")
    assert MANIFEST["issue_tracker"].startswith("https://")
