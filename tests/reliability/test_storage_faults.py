"""The real add-on on a full disk and with damaged state files.

Disk full: the data directory is a size-limited tmpfs that is filled to the last
byte while contacts write and Home Assistant sends with Idempotency-Keys, so the
journal, the credentials and the idempotency records all meet ENOSPC mid-stream.
Then the space comes back. Nothing acknowledged may be lost and nothing sent twice.
As WhatsApp does, a message counts as delivered once the add-on acknowledged it,
and one that was not is delivered again (same id) until it is.

Corruption: between starts, one random byte of every state file is flipped. The
add-on must start every time and say what it is (linked, or pairing again).

Mounting a tmpfs needs root; without it the disk-full round is skipped and says so.
"""

from __future__ import annotations

import asyncio
from collections import Counter
import contextlib
import errno
from pathlib import Path
import random
import shutil
import subprocess
import tempfile
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from .addon_process import AddonError, AddonProcess, wait_for
from .conftest import FULL

if TYPE_CHECKING:
    from collections.abc import Iterator

FULL_ROUNDS = 8 if FULL else 2
INCOMING_PER_ROUND = 40 if FULL else 10
SENDS_PER_ROUND = 20 if FULL else 5
CORRUPTIONS = 50 if FULL else 5
TMPFS_SIZE = "32m"
# Bigger than a page, so a record cannot slip into the slack of a file's last page.
PADDING = "x" * 5000
RECIPIENT = "+4917612345678"


@contextlib.contextmanager
def size_limited_tmpfs(path: Path) -> Iterator[Path]:
    """Mount a tmpfs at `path` for the duration, or skip the test when not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(  # noqa: S603 - fixed command
        [  # noqa: S607 - mount and umount from the system path
            "mount",
            "-t",
            "tmpfs",
            "-o",
            f"size={TMPFS_SIZE},mode=0700",
            "tmpfs",
            str(path),
        ],
        check=False,
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip(
            "the disk-full round needs permission to mount a tmpfs (run as root)"
        )
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)  # noqa: S603, S607


def fill(directory: Path) -> None:
    """Fill the filesystem to the last byte."""
    with (directory / "filler").open("ab", buffering=0) as filler:
        for chunk in (b"a" * 65536, b"a" * 4096, b"a"):
            try:
                while True:
                    filler.write(chunk)
            except OSError as err:
                if err.errno != errno.ENOSPC:
                    raise


def free(directory: Path) -> None:
    """Give the space back."""
    (directory / "filler").unlink(missing_ok=True)


def network_off_the_full_disk(data_dir: Path, keep: list[Path]) -> None:
    """The fake WhatsApp network stands for WhatsApp's servers, whose disk is not full."""
    network = Path(tempfile.mkdtemp(prefix="wa-fake-network-"))
    keep.append(network)
    (data_dir / "simulator").symlink_to(network)


async def health(addon: AddonProcess) -> dict[str, Any]:
    """`GET /health`."""
    async with addon.http.get(f"{addon.url}/health") as response:
        body: dict[str, Any] = await response.json()
        return body


async def journal_ids(addon: AddonProcess) -> Counter[str]:
    """How often each message id is in the journal."""
    seen = Counter[str]()
    after = 0
    while True:
        page = await addon.request("GET", f"/v1/events?after={after}&limit=1000")
        for event in page["events"]:
            if event["type"] == "message":
                seen[event["data"]["id"]] += 1
        if not page["events"]:
            return seen
        after = page["events"][-1]["seq"]


async def test_disk_full_loses_nothing_acknowledged_and_sends_nothing_twice(
    tmp_path: Path, socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Contacts write and keyed sends go out while the disk fills and empties."""
    rng = random.Random()  # noqa: S311 - test data, not secrets
    networks: list[Path] = []
    with size_limited_tmpfs(tmp_path / "data") as data_dir:
        network_off_the_full_disk(data_dir, networks)
        addon = AddonProcess(
            data_dir, tmp_path / "addon.log", env={"WA_SEND_RATE_PER_MINUTE": "0"}
        )
        delivered: list[str] = []
        acknowledged: set[str] = set()
        redeliveries = 0
        answered: dict[str, str] = {}
        refused: set[str] = set()
        degraded_seen = 0
        started = time.monotonic()
        try:
            await addon.start()
            await addon.link()
            run = rng.randrange(10**9)

            async def deliver_once(message_id: str, *, time_limit: float) -> None:
                body = {
                    "from": "+15550000002",
                    "id": message_id,
                    "text": f"{message_id} {PADDING}",
                }
                # It answers once journalled, which waits for space: no answer is fine.
                with contextlib.suppress(TimeoutError, aiohttp.ClientError):
                    status, _ = await addon.call(
                        "POST", "/v1/simulator/incoming", body, time_limit=time_limit
                    )
                    if status == 200:
                        acknowledged.add(message_id)

            for round_no in range(FULL_ROUNDS):
                fill(data_dir)

                async def deliver(n: int, round_no: int = round_no) -> None:
                    message_id = f"FULL{run}R{round_no}N{n}"
                    delivered.append(message_id)
                    await deliver_once(message_id, time_limit=1.5)

                async def send(n: int, round_no: int = round_no) -> None:
                    key = f"full-{run}-{round_no}-{n}"
                    body = {"to": RECIPIENT, "type": "text", "text": key}
                    status, answer = await addon.call(
                        "POST", "/v1/messages", body, headers={"Idempotency-Key": key}
                    )
                    if status == 200:
                        answered[key] = answer["id"]
                    elif status == 507:
                        refused.add(key)
                    else:
                        raise AddonError(f"{key}: {status} {answer}")

                await asyncio.gather(
                    *(deliver(n) for n in range(INCOMING_PER_ROUND)),
                    *(send(n) for n in range(SENDS_PER_ROUND)),
                )
                if (await health(addon))["status"] == "degraded":
                    degraded_seen += 1
                free(data_dir)
                if round_no == FULL_ROUNDS // 2:
                    assert await addon.stop() == 0
                    await addon.start()
                    await addon.wait_for_state("connected", within=30)

            for _ in range(5):
                unacknowledged = [i for i in delivered if i not in acknowledged]
                redeliveries += len(unacknowledged)
                for message_id in unacknowledged:
                    await deliver_once(message_id, time_limit=15)
            seen = await journal_ids(addon)

            # Every key again, as a client retrying after its error or timeout would.
            for key in sorted(refused | set(answered)):
                body = {"to": RECIPIENT, "type": "text", "text": key}
                status, answer = await addon.call(
                    "POST", "/v1/messages", body, headers={"Idempotency-Key": key}
                )
                assert status == 200, (key, status, answer)
                if key in answered:
                    assert answer["id"] == answered[key], key
            outbox = (await addon.request("GET", "/v1/simulator/outbox"))["messages"]
            sent = Counter(e["text"] for e in outbox if e["text"].startswith("full-"))

            lost = [i for i in acknowledged if not seen[i]] + [
                k for k in answered if not sent[k]
            ]
            duplicated = [i for i, n in seen.items() if n > 1] + [
                k for k, n in sent.items() if n > 1
            ]
            with capsys.disabled():
                print(  # noqa: T201 - the round's figures belong in the test output
                    f"\ndisk-full round: {FULL_ROUNDS} fills, {len(delivered)} incoming "
                    f"({redeliveries} delivered again, {len(delivered) - len(acknowledged)} "
                    "never acknowledged), "
                    f"{len(answered)} sends acknowledged and {len(refused)} refused "
                    f"(storage_full) while full, /health degraded in {degraded_seen}/"
                    f"{FULL_ROUNDS} fills; acknowledged-but-lost {len(lost)}, "
                    f"duplicated {len(duplicated)}; {time.monotonic() - started:.1f} s"
                )
            assert lost == [], lost
            assert duplicated == [], duplicated
            assert acknowledged == set(delivered)
            assert degraded_seen == FULL_ROUNDS
        finally:
            free(data_dir)
            await addon.close()
            for network in networks:
                shutil.rmtree(network, ignore_errors=True)


def flip_a_byte_in_every_state_file(data_dir: Path, rng: random.Random) -> int:
    """Flip one random bit of one random byte in each state file; return how many."""
    flipped = 0
    for path in sorted(data_dir.rglob("*")):
        relative = path.relative_to(data_dir)
        if not path.is_file() or "simulator" in relative.parts:
            continue
        if ".damaged-" in path.name or path.stat().st_size == 0:
            continue
        data = bytearray(path.read_bytes())
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(data))
        flipped += 1
    return flipped


async def settle(addon: AddonProcess) -> str:
    """Wait until the session is linked or pairing; unlink and pair again if it is stuck."""

    async def settled() -> str | None:
        state = await addon.state()
        return state if state in {"connected", "pairing"} else None

    try:
        return str(await wait_for(settled, within=20, what="connected or pairing"))
    except AddonError:
        await addon.request("POST", "/v1/session/logout", {})
        return "stuck"


async def test_flipped_bytes_in_every_state_file_never_stop_the_service(
    tmp_path: Path, socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The service starts after every corruption and reports its state."""
    rng = random.Random()  # noqa: S311 - test data, not secrets
    data_dir = tmp_path / "addon-data"
    addon = AddonProcess(data_dir, tmp_path / "addon.log", log_level="debug")
    outcomes = Counter[str]()
    reasons = Counter[str]()
    files = 0
    started = time.monotonic()
    try:
        await addon.start()
        await addon.link()
        for n in range(CORRUPTIONS):
            await addon.request(
                "POST",
                "/v1/simulator/incoming",
                {"from": "+15550000002", "text": f"before corruption {n}"},
            )
            assert await addon.stop() == 0
            files += flip_a_byte_in_every_state_file(data_dir, rng)
            await addon.start()
            assert (await health(addon))["status"] in {"ok", "degraded"}
            outcome = await settle(addon)
            outcomes[outcome] += 1
            if outcome != "connected":
                session = await addon.request("GET", "/v1/session")
                last = session["last_disconnect"] or {}
                reasons[str(last.get("reason"))] += 1
                await addon.link()
        with capsys.disabled():
            print(  # noqa: T201 - the round's figures belong in the test output
                f"\ncorruption round: {CORRUPTIONS} starts after {files} flipped bytes, "
                f"all started; stayed linked {outcomes['connected']}, pairing again "
                f"{outcomes['pairing']} (reasons {dict(reasons)}), unstuck by logout "
                f"{outcomes['stuck']}; {time.monotonic() - started:.1f} s"
            )
    finally:
        await addon.close()
