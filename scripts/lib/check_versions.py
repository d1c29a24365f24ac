"""Check that every place naming the release version names the same one.

usage: python scripts/lib/check_versions.py [TAG]

Reads the integration's manifest, the app's config.yaml and package.json, and the newest
section of CHANGELOG.md; with TAG (`v0.2.0` or `0.2.0`), the tag must name that version too.
Prints the version and exits 0 when they agree, else says which differ and exits 1.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import sys

ROOT = Path(__file__).resolve().parents[2]


def versions(root: Path = ROOT) -> dict[str, str | None]:
    """The version each file names, by file; None where a file names none."""
    manifest = json.loads(
        (root / "custom_components/whatsapp_bridge/manifest.json").read_text("utf-8")
    )
    package = json.loads((root / "addon/package.json").read_text("utf-8"))
    config = (root / "addon/config.yaml").read_text("utf-8")
    config_version = re.search(r'^version:\s*"?([^"\s]+)"?\s*$', config, re.MULTILINE)
    changelog = (root / "CHANGELOG.md").read_text("utf-8")
    newest = re.search(r"^## \[?v?(\d[^\]\s]*)\]?", changelog, re.MULTILINE)
    return {
        "custom_components/whatsapp_bridge/manifest.json": manifest.get("version"),
        "addon/config.yaml": config_version.group(1) if config_version else None,
        "addon/package.json": package.get("version"),
        "CHANGELOG.md": newest.group(1) if newest else None,
    }


def main(argv: list[str]) -> int:
    """Compare the versions, and the tag when one is given."""
    found = versions()
    if len(argv) > 1:
        found["tag"] = argv[1].removeprefix("refs/tags/").removeprefix("v")
    if len(set(found.values())) == 1 and None not in found.values():
        print(next(iter(found.values())))
        return 0
    for where, version in found.items():
        print(f"{where}: {version or 'no version'}", file=sys.stderr)
    print("the versions differ", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
