"""The signal round: the real process tree is stopped with SIGTERM again and again.

Each stop lands on a service that has just journalled a contact's message and
answered a keyed send. The trees alternate between plain `node dist/src/main.js`
(what the container runs) and `npm start` in its own process group (what a
developer runs), and the signal goes once, twice in a row, or to the whole group.
Every exit must be 0 after a clean stop, leave no process behind, and the next
start on the same data directory must find the message, the link and the
idempotency record of the round before.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import time
from typing import TYPE_CHECKING

from .addon_process import AddonProcess, wait_for
from .conftest import FULL

if TYPE_CHECKING:
    from pathlib import Path
    import subprocess

    import pytest

ROUNDS = 20 if FULL else 6
RECIPIENT = "+4917612345678"
NPM = shutil.which("npm") or "npm"
HOW = ("once", "twice in a row", "to the process group")
# Plain node shares the test's process group, so it gets no group signal.
HOW_NODE = HOW[:2]


class NpmAddonProcess(AddonProcess):
    """The same service, started as `npm start` (npm, then node) in a process group of its own."""

    async def start(self, *, within: float = 30) -> None:
        """Run `npm start` and wait until `/health` answers."""
        await self._launch(
            [NPM, "start", "--silent"],
            {
                **self.service_env(),
                "HOME": os.environ.get("HOME", str(self.data_dir)),
                "npm_config_update_notifier": "false",
            },
            what="npm start to answer",
            within=within,
            new_session=True,
        )


async def port_closed(addon: AddonProcess) -> bool:
    """Nothing answers on the add-on's port any more (no node left behind)."""
    try:
        await addon.call("GET", "/health", time_limit=1)
    except Exception:  # noqa: BLE001 - any failure to get an answer means nobody listens
        return True
    return False


async def exit_code(process: subprocess.Popen[bytes], *, within: float) -> int | None:
    """Wait for the process to end on its own; its exit code (negative: killed by a signal)."""
    deadline = time.monotonic() + within
    while process.poll() is None:
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(0.02)
    return process.returncode


def stop_signal(addon: AddonProcess, how: str) -> None:
    """Deliver SIGTERM the way `how` says, without waiting."""
    pid = addon.pid
    if how == "to the process group":
        os.killpg(os.getpgid(pid), signal.SIGTERM)
        return
    os.kill(pid, signal.SIGTERM)
    if how == "twice in a row":
        os.kill(pid, signal.SIGTERM)


async def test_signal_round_every_stop_exits_0_with_everything_flushed(
    tmp_path: Path, socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """ROUNDS SIGTERMs to the real process tree; every exit is 0 and clean."""
    data_dir = tmp_path / "data"
    log_path = tmp_path / "addon.log"
    node = AddonProcess(data_dir, log_path, log_level="info")
    npm = NpmAddonProcess(data_dir, log_path, log_level="info")
    npm.port, npm.ingress_port, npm.api_key = node.port, node.ingress_port, node.api_key
    exits: list[tuple[str, str, int | None]] = []
    stop_seconds: list[float] = []
    previous: tuple[str, str, str] | None = None
    npm_groups: set[int] = set()
    started = time.monotonic()
    try:
        for round_no in range(ROUNDS):
            addon = npm if round_no % 2 else node
            await addon.start()
            if previous is None:
                await addon.link()
            else:
                await addon.wait_for_state("connected", within=30)
                message_id, key, sent_id = previous
                journal = await addon.request("GET", "/v1/events?after=0&limit=1000")
                ids = {event["data"].get("id") for event in journal["events"]}
                assert message_id in ids, (
                    f"round {round_no}: the journal lost {message_id}"
                )
                status, answer = await addon.call(
                    "POST",
                    "/v1/messages",
                    {"to": RECIPIENT, "type": "text", "text": key},
                    headers={"Idempotency-Key": key},
                )
                assert (status, answer.get("id")) == (200, sent_id), (
                    f"round {round_no}: the idempotency record of {key} was lost"
                )

            message_id = f"SIGNAL{round_no}X{int(started)}"
            await addon.request(
                "POST",
                "/v1/simulator/incoming",
                {"from": "+15550000002", "id": message_id, "text": "before the stop"},
            )
            key = f"signal-{int(started)}-{round_no}"
            sent = await addon.call(
                "POST",
                "/v1/messages",
                {"to": RECIPIENT, "type": "text", "text": key},
                headers={"Idempotency-Key": key},
            )
            assert sent[0] == 200, sent
            previous = (message_id, key, sent[1]["id"])

            tree = "npm start" if addon is npm else "node"
            ways = HOW if addon is npm else HOW_NODE
            how = ways[(round_no // 2) % len(ways)]
            process = addon.process
            assert process is not None
            if addon is npm:
                npm_groups.add(process.pid)
            stop_began = time.monotonic()
            stop_signal(addon, how)
            addon.process = (
                None  # this stop is the round's own: nothing else may signal it
            )
            code = await exit_code(process, within=15)
            stop_seconds.append(time.monotonic() - stop_began)
            exits.append((tree, how, code))
            assert await wait_for(
                lambda addon=addon: port_closed(addon),
                within=6,
                what="the service to be gone",
            )
        assert log_path.read_text(errors="replace").count('"msg":"stopped"') == ROUNDS
    finally:
        # A node that outlived its npm is still in npm's process group: leave nothing behind.
        for group in npm_groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        await node.close()
        await npm.close()
        unclean = [exit_ for exit_ in exits if exit_[2] != 0]
        with capsys.disabled():
            print(  # noqa: T201 - the round's figures belong in the test output
                f"\nsignal round: {len(exits)}/{ROUNDS} stops "
                f"({sum(1 for e in exits if e[0] == 'node')} node, "
                f"{sum(1 for e in exits if e[0] == 'npm start')} npm start; "
                f"{', '.join(f'{sum(1 for e in exits if e[1] == h)} {h}' for h in HOW)}), "
                f"exit 0 in {len(exits) - len(unclean)}, unclean {unclean}; stop took "
                f"at most {max(stop_seconds, default=0):.2f} s; "
                f"{time.monotonic() - started:.1f} s"
            )
    assert all(code == 0 for _, _, code in exits), exits
