"""The add-on's disk fills up: Home Assistant tells the user, and stops once it is fixed.

The add-on runs on a real size-limited tmpfs, so its writes fail with the
kernel's own ENOSPC, as on a full disk.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from typing import TYPE_CHECKING

from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.whatsapp_bridge.const import DOMAIN, EVENT_MESSAGE_RECEIVED
from custom_components.whatsapp_bridge.issues import storage_issue_id

from .conftest import Addon, mock_entry
from .helpers import wait_until

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Generator
    from pathlib import Path

    from homeassistant.core import HomeAssistant

# Room for the add-on's session, journal and caches on the simulator.
TMPFS_SIZE = "32m"


def _can_mount() -> bool:
    with tempfile.TemporaryDirectory() as probe:
        mounted = subprocess.run(  # noqa: S603 - fixed command
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe],  # noqa: S607
            capture_output=True,
            check=False,
        )
        if mounted.returncode != 0:
            return False
        subprocess.run(["umount", probe], check=True)  # noqa: S603, S607
    return True


@pytest.fixture
def tmpfs(tmp_path: Path) -> Generator[Path]:
    """A small filesystem of its own; needs root (or CAP_SYS_ADMIN)."""
    if not _can_mount():
        pytest.skip("needs permission to mount a size-limited tmpfs (run as root)")
    folder = tmp_path / "tmpfs"
    folder.mkdir()
    subprocess.run(  # noqa: S603 - fixed command
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(folder)],  # noqa: S607
        check=True,
    )
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)  # noqa: S603, S607


def fill(folder: Path) -> Path:
    """Take every free byte of the filesystem; return the file that holds them."""
    filler = folder / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for size in (65536, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(descriptor, b"\0" * size)
    finally:
        os.close(descriptor)
    return filler


@pytest.fixture
async def addon_on_tmpfs(
    hass: HomeAssistant,
    tmpfs: Path,
    tmp_path: Path,
    socket_enabled: None,
    addon_built: None,
) -> AsyncGenerator[Addon]:
    """A linked add-on whose data directory is on the small filesystem.

    The fake WhatsApp network keeps its own state elsewhere: it stands in
    for WhatsApp's servers, whose disks do not fill with the add-on's.
    """
    data_dir = tmpfs / "addon-data"
    data_dir.mkdir()
    (tmp_path / "fake-network").mkdir()
    (data_dir / "simulator").symlink_to(tmp_path / "fake-network")
    server = Addon(data_dir, tmp_path / "addon.log", {})
    try:
        await server.async_start()
        await server.link()
    except BaseException:
        await server.async_close()
        raise
    yield server
    for entry in hass.config_entries.async_entries(DOMAIN):
        await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await server.async_close()


async def test_a_full_addon_disk_is_a_repair_issue_until_freed(
    hass: HomeAssistant, addon_on_tmpfs: Addon, tmpfs: Path
) -> None:
    """The user learns that the app's storage is full, and the message still arrives."""
    addon = addon_on_tmpfs
    entry = mock_entry(addon)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    coordinator = entry.runtime_data.coordinator
    registry = ir.async_get(hass)
    issue_id = storage_issue_id(entry.entry_id)

    filler = fill(tmpfs)
    message = await addon.incoming(text="arrives on a full disk")

    async def issue_raised() -> bool:
        await coordinator.async_refresh()
        return registry.async_get_issue(DOMAIN, issue_id) is not None

    await wait_until(issue_raised, what="the storage issue", within=20)
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue.translation_key == "storage_full"
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {"url": addon.url}

    filler.unlink()

    async def issue_cleared() -> bool:
        await coordinator.async_refresh()
        return registry.async_get_issue(DOMAIN, issue_id) is None

    await wait_until(issue_cleared, what="the storage issue to clear", within=20)
    await wait_until(lambda: received, what="the message kept in memory")
    assert received[0].data["id"] == message
