"""Keep Home Assistant's web UI from making it ask the internet for brand images.

usage: python scripts/lib/offline_brands.py HA_CONFIG_DIR

For every icon and logo a page shows, Home Assistant's brands integration first looks in its cache
(`.cache/brands/integrations/<domain>/<image>` in the configuration folder) and asks the brands CDN on
the internet only when the cache has nothing; an empty file there stands for an image the CDN does not
have. This marks every integration's images that way, so an offline demo stays on this machine: the UI
shows Home Assistant's generic icon instead. Custom integrations' own `brand/` folders are read before
the cache, so this repository's integration still shows its icon. Home Assistant asks again once a
mark is 30 days old, so marks older than a week are renewed; images already in the cache are left alone.
"""

from importlib import metadata, util
import json
import os
from pathlib import Path
import sys
import time

RENEW_AFTER_SECONDS = 7 * 24 * 3600
# Home Assistant's own names (homeassistant/components/brands/const.py). Read from there, importing
# that package would load most of Home Assistant's HTTP stack, seconds on every start.
IMAGES = (
    "icon.png",
    "logo.png",
    "icon@2x.png",
    "logo@2x.png",
    "dark_icon.png",
    "dark_logo.png",
    "dark_icon@2x.png",
    "dark_logo@2x.png",
)
PLACEHOLDER = "_placeholder"


def homeassistant_dir() -> Path:
    spec = util.find_spec("homeassistant")
    if spec is None or spec.origin is None:
        sys.exit("Home Assistant is not installed in this Python")
    return Path(spec.origin).parent


def integration_domains(ha_dir: Path) -> set[str]:
    """Every domain the UI may show: Home Assistant's own integrations and the brands it lists."""
    domains = {
        entry.name
        for entry in (ha_dir / "components").iterdir()
        if (entry / "manifest.json").is_file()
    }
    listed = json.loads((ha_dir / "generated" / "integrations.json").read_text())
    for section in ("integration", "helper"):
        for domain, entry in listed.get(section, {}).items():
            domains.add(domain)
            domains.update(entry.get("integrations", {}))
    domains.add(PLACEHOLDER)
    return domains


def mark_missing(config_dir: Path) -> None:
    """Marks each brand image as missing unless it is cached, at most once a week per version."""
    cache = config_dir / ".cache" / "brands" / "integrations"
    stamp = config_dir / ".cache" / "offline-brand-marks"
    version = metadata.version("homeassistant")
    now = time.time()
    if (
        stamp.is_file()
        and stamp.read_text() == version
        and now - stamp.stat().st_mtime < RENEW_AFTER_SECONDS
    ):
        return
    for domain in integration_domains(homeassistant_dir()):
        folder = cache / domain
        folder.mkdir(parents=True, exist_ok=True)
        for image in IMAGES:
            path = folder / image
            if not path.exists():
                path.touch()
            elif path.stat().st_size == 0:
                os.utime(path, (now, now))
    stamp.write_text(version)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    mark_missing(Path(sys.argv[1]))
