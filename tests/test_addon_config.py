"""The add-on as the Supervisor reads it: config.yaml, its translations, docs and image files."""

from __future__ import annotations

import json
from pathlib import Path
import re
import struct
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ADDON = ROOT / "addon"
# The add-on linter's JSON schema, when it sits next to the repository; the structural checks
# below run either way.
LINTER_SCHEMA = ROOT.parent / "shared" / "schemas" / "addon-config.schema.json"

REQUIRED_KEYS = {"name", "version", "slug", "description", "url", "arch"}
API_PORT = 8066
INGRESS_PORT = 8099


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(name="config", scope="module")
def fixture_config() -> dict[str, Any]:
    loaded = _load_yaml(ADDON / "config.yaml")
    assert isinstance(loaded, dict)
    return loaded


def _fits(value: Any, schema_type: str) -> bool:
    """Whether an option's default fits the Supervisor's schema notation for it."""
    optional = schema_type.endswith("?")
    kind = schema_type.removesuffix("?")
    if optional and value in {None, ""}:
        return True
    if kind in {"str", "password"}:
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if match := re.fullmatch(r"(int|float)(?:\((-?[\d.]*),(-?[\d.]*)\))?", kind):
        number_type, low, high = match.groups()
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if number_type == "int" and not isinstance(value, int):
            return False
        return (not low or value >= float(low)) and (not high or value <= float(high))
    if match := re.fullmatch(r"list\((.+)\)", kind):
        return value in match.group(1).split("|")
    pytest.fail(f"unknown schema type {schema_type!r}")


@pytest.mark.skipif(
    not LINTER_SCHEMA.exists(),
    reason="the add-on linter's schema is not next to the repository",
)
def test_config_validates_against_the_add_on_linter_schema(
    config: dict[str, Any],
) -> None:
    schema = json.loads(LINTER_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(config)


# What the Supervisor assumes for a key that config.yaml leaves out. The add-on linter rejects a
# key that only repeats its default, and so does the test below.
SUPERVISOR_DEFAULTS: dict[str, Any] = {
    "advanced": False,
    "apparmor": True,
    "audio": False,
    "auth_api": False,
    "auto_uart": False,
    "backup": "hot",
    "boot": "auto",
    "devicetree": False,
    "docker_api": False,
    "full_access": False,
    "gpio": False,
    "hassio_api": False,
    "hassio_role": "default",
    "homeassistant_api": False,
    "host_dbus": False,
    "host_ipc": False,
    "host_network": False,
    "host_pid": False,
    "host_uts": False,
    "ingress": False,
    "ingress_entry": "/",
    "ingress_port": 8099,
    "ingress_stream": False,
    "init": True,
    "journald": False,
    "kernel_modules": False,
    "legacy": False,
    "options": {},
    "panel_admin": True,
    "panel_icon": "mdi:puzzle",
    "realtime": False,
    "schema": {},
    "stage": "stable",
    "startup": "application",
    "stdin": False,
    "timeout": 10,
    "tmpfs": False,
    "uart": False,
    "udev": False,
    "ulimits": {},
    "usb": False,
    "video": False,
}


def _defaults() -> dict[str, Any]:
    """Our table of defaults, and those the linter's schema declares when it is here."""
    defaults = dict(SUPERVISOR_DEFAULTS)
    if LINTER_SCHEMA.exists():
        schema = json.loads(LINTER_SCHEMA.read_text(encoding="utf-8"))
        for key, prop in schema.get("properties", {}).items():
            if isinstance(prop, dict) and "default" in prop:
                defaults[key] = prop["default"]
    return defaults


def _same(value: Any, default: Any) -> bool:
    """Equal in YAML's terms: `true` is not `1`, and `8099` is not `"8099"`."""
    return type(value) is type(default) and value == default


def test_config_repeats_no_default(config: dict[str, Any]) -> None:
    """A key set to what the Supervisor would assume anyway is noise, and a linter error."""
    repeated = sorted(
        key
        for key, default in _defaults().items()
        if key in config and _same(config[key], default)
    )
    assert not repeated, f"config.yaml repeats the default of: {', '.join(repeated)}"


def test_default_rule_catches_a_repeated_default() -> None:
    """The rule itself: it flags a repeated default and lets a real choice through."""
    defaults = _defaults()
    assert _same(True, defaults["panel_admin"])
    assert not _same(1, defaults["panel_admin"])
    assert not _same(False, defaults["init"])
    assert _same("application", defaults["startup"])
    assert not _same("services", defaults["startup"])


def test_config_has_what_the_supervisor_and_store_need(config: dict[str, Any]) -> None:
    assert config.keys() >= REQUIRED_KEYS
    assert config["slug"] == "whatsapp"
    assert config["arch"] == ["aarch64", "amd64"], (
        "only 64-bit ARM and x86 remain supported"
    )
    assert "watchdog" not in config, "obsolete: the image's HEALTHCHECK replaces it"
    assert config["init"] is False
    assert config.get("startup", "application") == "application"
    assert config.get("boot", "auto") == "auto"
    assert config["url"].startswith("https://")
    assert re.fullmatch(r"ghcr\.io/[\w.-]+/\{arch\}-[\w.-]+", config["image"]), (
        "the Supervisor pulls the prebuilt image instead of building on the device"
    )


def test_config_exposes_the_api_port_and_the_ingress_page(
    config: dict[str, Any],
) -> None:
    assert config["ports"] == {f"{API_PORT}/tcp": API_PORT}
    assert config["ingress"] is True
    assert (
        config.get("ingress_port", SUPERVISOR_DEFAULTS["ingress_port"]) == INGRESS_PORT
    )
    settings = (ADDON / "src" / "settings.ts").read_text(encoding="utf-8")
    assert f"DEFAULT_INGRESS_PORT = {INGRESS_PORT}" in settings, (
        "the service listens where ingress looks"
    )
    assert config["panel_icon"] == "mdi:whatsapp"
    assert config.get("panel_admin", True) is True, "the page is for administrators"


def test_config_announces_the_discovery_the_service_sends(
    config: dict[str, Any],
) -> None:
    assert config["discovery"] == ["whatsapp_bridge"]
    discovery = (ADDON / "src" / "discovery.ts").read_text(encoding="utf-8")
    assert "DISCOVERY_SERVICE = 'whatsapp_bridge'" in discovery
    assert config.get("backup", "hot") == "hot"
    assert "accounts/*/media/cache" in config["backup_exclude"]


def test_every_option_has_a_schema_and_fits_it(config: dict[str, Any]) -> None:
    options: dict[str, Any] = config["options"]
    schema: dict[str, str] = config["schema"]
    assert options.keys() <= schema.keys()
    for name, value in options.items():
        assert _fits(value, schema[name]), (
            f"{name}: {value!r} does not fit {schema[name]}"
        )
    assert schema["api_key"] == "password?", "the key is masked and may stay empty"
    assert options["mark_online"] is False
    assert options["send_rate_per_minute"] == 12
    assert options["send_burst"] == 3
    assert options["send_wait_reconnecting_seconds"] == 60
    assert options["journal_max_events"] == 50000
    assert options["journal_max_age_days"] == 7
    assert options["media_cache_max_mb"] == 200
    assert options["media_upload_max_mb"] == 64


def test_every_option_is_read_translated_and_documented(config: dict[str, Any]) -> None:
    settings = (ADDON / "src" / "settings.ts").read_text(encoding="utf-8")
    translations = _load_yaml(ADDON / "translations" / "en.yaml")
    docs = (ADDON / "DOCS.md").read_text(encoding="utf-8")
    described = translations["configuration"]
    assert described.keys() == config["schema"].keys()
    for name in config["schema"]:
        assert f"options.{name}" in settings, f"the service does not read {name}"
        assert described[name]["name"].strip()
        assert described[name]["description"].strip()
        assert f"| `{name}` |" in docs, f"DOCS.md does not explain {name}"
    assert translations["network"].keys() == config["ports"].keys()


def test_options_are_translated_to_german_too(config: dict[str, Any]) -> None:
    english = _load_yaml(ADDON / "translations" / "en.yaml")
    german = _load_yaml(ADDON / "translations" / "de.yaml")
    assert german["configuration"].keys() == config["schema"].keys()
    for name, texts in german["configuration"].items():
        assert texts["name"].strip()
        assert texts["description"].strip()
        assert texts["name"] != english["configuration"][name]["name"], (
            f"{name} is not translated"
        )
    assert german["network"].keys() == config["ports"].keys()


def test_version_matches_the_service_and_the_changelog(config: dict[str, Any]) -> None:
    package = json.loads((ADDON / "package.json").read_text(encoding="utf-8"))
    assert config["version"] == package["version"]
    changelog = (ADDON / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {config['version']}" in changelog


def test_image_runs_the_tested_service_and_checks_its_health() -> None:
    dockerfile = (ADDON / "Dockerfile").read_text(encoding="utf-8")
    base = re.search(r"^ARG BUILD_FROM=(\S+)$", dockerfile, re.MULTILINE)
    assert base, "the base image has a default"
    assert re.search(r":\d[\w.-]*$", base.group(1)), (
        "the base image is pinned by version"
    )
    node = re.search(r"^ARG NODE_MAJOR=(\d+)$", dockerfile, re.MULTILINE)
    assert node, "the Node.js major is pinned"
    assert int(node.group(1)) >= 20
    assert "FROM node:${NODE_MAJOR}-alpine" in dockerfile
    assert "npm prune --omit=dev" in dockerfile, (
        "dev dependencies stay in the build stage"
    )
    runtime = dockerfile.rpartition("FROM ${BUILD_FROM}")[2]
    assert "npm" not in runtime.partition("HEALTHCHECK")[0], (
        "no npm in the runtime image"
    )
    assert re.search(r"^HEALTHCHECK .*/health", dockerfile, re.MULTILINE | re.DOTALL)
    # `exec` makes the shell become node, so the stop signal reaches the service; both the image and
    # `npm start` run the tested entry point with the V8 heap ceiling computed from the settings.
    heap_ceiling = "--max-old-space-size="
    assert (
        'CMD ["/bin/sh", "-c", "exec node '
        + heap_ceiling
        + '\\"$(node scripts/heap-limit.mjs)\\" dist/src/main.js"]'
    ) in dockerfile
    assert "COPY scripts/heap-limit.mjs " in dockerfile
    package = json.loads((ADDON / "package.json").read_text(encoding="utf-8"))
    assert package["scripts"]["start"] == (
        f"exec node {heap_ceiling}$(node scripts/heap-limit.mjs) dist/src/main.js"
    ), "the tested entry point"
    for label in ("io.hass.type", "io.hass.arch", "io.hass.version", "io.hass.name"):
        assert f"{label}=" in dockerfile, f"label {label}"
    assert "COPY static " in dockerfile, "the web page ships in the image"
    apparmor = (ADDON / "apparmor.txt").read_text(encoding="utf-8")
    assert re.search(r"^profile whatsapp flags=", apparmor, re.MULTILINE)


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_store_images_have_the_expected_sizes() -> None:
    assert _png_size(ADDON / "icon.png") == (128, 128)
    width, height = _png_size(ADDON / "logo.png")
    assert 200 <= width <= 300
    assert 80 <= height <= 120
