"""The manifest as Home Assistant's hassfest and HACS expect it."""

from __future__ import annotations

from importlib import metadata
import importlib.util
import json
from pathlib import Path
import struct

_SPEC = importlib.util.spec_from_file_location(
    "check_versions", Path(__file__).parents[1] / "scripts/lib/check_versions.py"
)
assert _SPEC is not None
assert _SPEC.loader is not None
check_versions = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(check_versions)

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


ROOT = Path(__file__).parents[1]
BRAND = ROOT / "custom_components/whatsapp_bridge/brand"
HACS = json.loads((ROOT / "hacs.json").read_text())


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_brand_images_have_the_sizes_home_assistant_expects() -> None:
    """Icons are square at 256 and 512 px; logos are 128 to 256 px on the short side."""
    assert _png_size(BRAND / "icon.png") == (256, 256)
    assert _png_size(BRAND / "icon@2x.png") == (512, 512)
    for name in ("logo.png", "dark_logo.png"):
        width, height = _png_size(BRAND / name)
        assert 128 <= min(width, height) <= 256
        double = _png_size(BRAND / name.replace(".png", "@2x.png"))
        assert double == (width * 2, height * 2)
    # Only images Home Assistant knows, and a dark variant only beside a light one.
    known = {"icon", "logo", "dark_icon", "dark_logo"}
    for path in BRAND.iterdir():
        assert path.suffix == ".png"
        assert path.stem.removesuffix("@2x") in known, path.name
        if path.stem.startswith("dark_"):
            assert (BRAND / path.name.removeprefix("dark_")).exists()


def test_hacs_and_the_readme_name_the_minimum_and_tested_versions() -> None:
    """hacs.json holds the minimum Home Assistant; the README says it and the tested one."""
    assert set(HACS) <= {
        "name",
        "homeassistant",
        "render_readme",
        "hacs",
        "zip_release",
        "filename",
    }
    assert HACS["name"] == MANIFEST["name"]
    assert HACS["render_readme"] is True
    minimum = HACS["homeassistant"]
    readme = (ROOT / "README.md").read_text()
    assert f"Home Assistant {minimum}" in readme
    tested = metadata.version("homeassistant")
    assert f"tested with Home Assistant {tested}" in readme
    assert tuple(map(int, minimum.split("."))) <= tuple(map(int, tested.split(".")))


def test_release_versions_agree() -> None:
    """What the release workflow checks: one version across all the files."""
    versions = check_versions.versions(ROOT)
    assert len(set(versions.values())) == 1, versions
