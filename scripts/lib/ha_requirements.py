"""Print the requirements of Home Assistant integrations that this Python lacks, one a line.

usage: python scripts/lib/ha_requirements.py INTEGRATION...

Follows each integration's dependencies and reads the pins from the manifests of the installed
Home Assistant, so they always match its version.
"""

import importlib.metadata
import importlib.util
import json
from pathlib import Path
import sys


def components_dir() -> Path:
    spec = importlib.util.find_spec("homeassistant")
    if spec is None or spec.origin is None:
        sys.exit("Home Assistant is not installed in this Python")
    return Path(spec.origin).parent / "components"


def requirements(domains: list[str]) -> set[str]:
    components = components_dir()
    seen: set[str] = set()
    found: set[str] = set()
    pending = list(domains)
    while pending:
        domain = pending.pop()
        if domain in seen:
            continue
        seen.add(domain)
        manifest = json.loads((components / domain / "manifest.json").read_text())
        found.update(manifest.get("requirements", []))
        pending.extend(manifest.get("dependencies", []))
    return found


def is_installed(requirement: str) -> bool:
    name, _, version = requirement.partition("==")
    try:
        return importlib.metadata.version(name) == version
    except importlib.metadata.PackageNotFoundError:
        return False


if __name__ == "__main__":
    for requirement in sorted(requirements(sys.argv[1:])):
        if not is_installed(requirement):
            print(requirement)
