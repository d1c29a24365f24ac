"""Keep Home Assistant's web UI from making it ask the internet for brand images.

usage: python scripts/lib/offline_brands.py HA_CONFIG_DIR

For every icon and logo a page shows, Home Assistant's brands integration first looks in its cache
(`.cache/brands/integrations/<domain>/<image>` in the configuration folder) and asks the brands CDN on
the internet only when the cache has nothing; an empty file there stands for an image the CDN does not
have. This marks every integration's images that way, so an offline demo stays on this machine: the UI
shows Home Assistant's generic icon instead. Custom integrations' own `brand/` folders are read before
the cache, so this repository's integration still shows its icon. Home Assistant asks again after 30
days, so each run renews the marks; images already in the cache are left alone.
"""

import json
import os
from pathlib import Path
import sys
import time

import homeassistant.components as components_package
from homeassistant.components.brands.const import ALLOWED_IMAGES, PLACEHOLDER
import homeassistant.generated as generated_package


def integration_domains() -> set[str]:
    """Every domain the UI may show: Home Assistant's own integrations and the brands it lists."""
    domains = {
        entry.name
        for entry in Path(components_package.__path__[0]).iterdir()
        if (entry / "manifest.json").is_file()
    }
    listed = json.loads(
        (Path(generated_package.__path__[0]) / "integrations.json").read_text()
    )
    for section in ("integration", "helper"):
        for domain, entry in listed.get(section, {}).items():
            domains.add(domain)
            domains.update(entry.get("integrations", {}))
    domains.add(PLACEHOLDER)
    return domains


def mark_missing(config_dir: Path) -> int:
    """Mark each brand image as missing unless it is cached; returns how many marks were written."""
    cache = config_dir / ".cache" / "brands" / "integrations"
    now = time.time()
    written = 0
    for domain in integration_domains():
        folder = cache / domain
        folder.mkdir(parents=True, exist_ok=True)
        for image in ALLOWED_IMAGES:
            path = folder / image
            if not path.exists():
                path.touch()
                written += 1
            elif path.stat().st_size == 0:
                os.utime(path, (now, now))
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    mark_missing(Path(sys.argv[1]))
