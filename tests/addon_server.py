"""The real add-on as a process on loopback, and what a test does with its accounts.

Only WhatsApp itself is simulated: the add-on runs with its simulator engine
and is reached over real HTTP on loopback.
"""

from __future__ import annotations

import os
from pathlib import Path
import secrets
import shutil
import signal
import socket
import subprocess
from typing import Any

import aiohttp
import pytest

from .helpers import wait_until

# Another build of the add-on can be tested by naming its folder.
ADDON_DIR = Path(
    os.environ.get("WA_TEST_ADDON_DIR") or Path(__file__).parents[1] / "addon"
)
NODE = shutil.which("node") or "node"
NPM = shutil.which("npm") or "npm"
DEFAULT_PHONE = "+15550000001"
DEFAULT_JID = "15550000001@s.whatsapp.net"

# Starts tried when other processes on the machine keep taking the chosen port.
PORT_ATTEMPTS = 3


class _PortTakenError(Exception):
    """The add-on could not listen: the chosen port was taken meanwhile."""


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AccountCalls:
    """What a test does with one account: its session, pairing, messages and outbox."""

    # Where the account's routes start: `/v1` for `default`.
    prefix = "/v1"

    async def request(
        self, method: str, path: str, body: Any = None, *, expect: int = 200
    ) -> Any:
        """Call the add-on's API; implemented by the add-on."""
        raise NotImplementedError

    async def session(self) -> dict[str, Any]:
        """The account's `/session`."""
        return dict(await self.request("GET", f"{self.prefix}/session"))

    async def wait_for_state(self, state: str) -> dict[str, Any]:
        """Wait until the session reaches `state` and return it."""
        found: dict[str, Any] = {}

        async def reached() -> bool:
            found.update(await self.session())
            return found["state"] == state

        await wait_until(reached, what=f"the add-on session to be {state}")
        return found

    async def wait_for_qr(self, other_than: str | None = None) -> str:
        """Wait until the add-on shows a QR code (a new one, if given) and return it."""
        code = ""

        async def shown() -> bool:
            nonlocal code
            qr = (await self.session())["qr"]
            code = qr["code"] if qr else ""
            return bool(code) and code != other_than

        await wait_until(shown, what="a QR code from the add-on")
        return code

    async def scan(self, phone: str = DEFAULT_PHONE) -> None:
        """The phone scans the QR code (or confirms the pairing code)."""
        await self.request("POST", f"{self.prefix}/simulator/scan", {"phone": phone})

    async def link(self, phone: str = DEFAULT_PHONE) -> None:
        """Link an account without Home Assistant, and wait until connected."""
        await self.wait_for_qr()
        await self.scan(phone)
        await self.wait_for_state("connected")

    async def incoming(self, **message: Any) -> str:
        """Deliver a message as WhatsApp would; returns its id."""
        message.setdefault("from", "+4917612345678")
        answer = await self.request(
            "POST", f"{self.prefix}/simulator/incoming", message
        )
        return str(answer["id"])

    async def disconnect(self, reason: str) -> None:
        """WhatsApp drops the connection for `reason`."""
        await self.request(
            "POST", f"{self.prefix}/simulator/disconnect", {"reason": reason}
        )

    async def outbox(self) -> list[dict[str, Any]]:
        """Everything WhatsApp received from the account, oldest first."""
        return list(
            (await self.request("GET", f"{self.prefix}/simulator/outbox"))["messages"]
        )


class Addon(AccountCalls):
    """One add-on process on loopback, restartable on the same data directory.

    Its own calls (`session`, `scan`, …) are those of the account `default`.
    """

    def __init__(
        self, data_dir: Path, log_path: Path, extra_env: dict[str, str]
    ) -> None:
        """Pick a port and key; nothing runs before `async_start`."""
        self.data_dir = data_dir
        self.log_path = log_path
        self.port = free_port()
        self.ingress_port = free_port()
        self.api_key = secrets.token_urlsafe(24)
        self.extra_env = extra_env
        self.process: subprocess.Popen[bytes] | None = None
        self._log_start = 0
        self._http: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        """Where the add-on answers."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def http(self) -> aiohttp.ClientSession:
        """An HTTP session in the running test's event loop."""
        if self._http is None:
            self._http = aiohttp.ClientSession()
        return self._http

    def _spawn(self) -> None:
        env = {
            **os.environ,
            "WA_ENGINE": "simulator",
            "WA_DATA_DIR": str(self.data_dir),
            "WA_HOST": "127.0.0.1",
            "WA_PORT": str(self.port),
            "WA_INGRESS_PORT": str(self.ingress_port),
            "WA_API_KEY": self.api_key,
            "WA_LOG_LEVEL": "info",
            # Unpaced, so tests do not wait; pacing has tests of its own.
            "WA_SEND_RATE_PER_MINUTE": "0",
            **self.extra_env,
        }
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - a fixed command
                [NPM, "start", "--silent"],
                cwd=ADDON_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    async def async_start(self) -> None:
        """Run `npm start` and wait until `/health` answers."""
        for _ in range(PORT_ATTEMPTS):
            self._spawn()
            try:
                await wait_until(self._healthy, within=30, what="the add-on to start")
            except _PortTakenError:
                # Another process bound a port between its choice and the start.
                self.port, self.ingress_port = free_port(), free_port()
            else:
                return
        pytest.fail(f"No free port for the add-on in {PORT_ATTEMPTS} attempts")

    async def _healthy(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            with self.log_path.open("rb") as log:
                log.seek(self._log_start)
                output = log.read().decode(errors="replace")
            if "EADDRINUSE" in output:
                raise _PortTakenError
            pytest.fail(
                f"The add-on exited with {self.process.returncode}:\n{output[-3000:]}"
            )
        try:
            async with self.http.get(f"{self.url}/health") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    async def async_stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Stop the process group (npm and node) and wait until it is gone."""
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.poll() is None:
            os.killpg(process.pid, sig)
        await wait_until(
            lambda: process.poll() is not None, within=15, what="the add-on to exit"
        )

    async def async_move(self) -> None:
        """Restart on another port, as after the user changed the add-on's port."""
        await self.async_stop()
        self.port = free_port()
        await self.async_start()

    async def async_kill(self) -> None:
        """End the add-on abruptly, as a crash or power loss would."""
        await self.async_stop(signal.SIGKILL)

    def terminate(self) -> None:
        """Stop the process group and wait for it, outside any event loop."""
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)

    async def async_close_http(self) -> None:
        """Close the HTTP session of the running test."""
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def async_close(self) -> None:
        """Stop the process and close the HTTP session."""
        await self.async_stop()
        await self.async_close_http()

    async def request(
        self, method: str, path: str, body: Any = None, *, expect: int = 200
    ) -> Any:
        """Call the add-on's API with its key; fail the test on another answer."""
        async with self.http.request(
            method,
            f"{self.url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.api_key}"},
        ) as response:
            data = await response.json(content_type=None)
            assert response.status == expect, (method, path, data)
            return data

    def account(self, account_id: str) -> AddonAccount:
        """One of the add-on's accounts, reached through its scoped routes."""
        return AddonAccount(self, account_id)

    async def create_account(self, account_id: str | None = None) -> AddonAccount:
        """Create an account in the add-on; it starts pairing."""
        body = {} if account_id is None else {"id": account_id}
        created = await self.request("POST", "/v1/accounts", body, expect=201)
        return self.account(created["id"])

    async def accounts(self) -> list[dict[str, Any]]:
        """The add-on's `/v1/accounts`."""
        return list((await self.request("GET", "/v1/accounts"))["accounts"])


class AddonAccount(AccountCalls):
    """An account of the add-on other than `default`."""

    def __init__(self, addon: Addon, account_id: str) -> None:
        """Reach the account through the add-on's scoped routes."""
        self.addon = addon
        self.id = account_id
        self.prefix = f"/v1/accounts/{account_id}"

    async def request(
        self, method: str, path: str, body: Any = None, *, expect: int = 200
    ) -> Any:
        """Call the add-on's API with its key."""
        return await self.addon.request(method, path, body, expect=expect)


class SharedAddon:
    """The add-on process that the tests of one module share, once one needs it."""

    def __init__(self, directory: Path) -> None:
        """Nothing runs yet; ports can only be picked while a test allows sockets."""
        self._directory = directory
        self.addon: Addon | None = None

    async def async_get(self) -> Addon:
        """The running add-on, started on first use."""
        if self.addon is None:
            self.addon = Addon(
                self._directory / "addon-data", self._directory / "addon.log", {}
            )
        if self.addon.process is None:
            await self.addon.async_start()
        return self.addon


class Outbox:
    """What the add-on sent to WhatsApp since the test began."""

    def __init__(self, addon: Addon, already_sent: int) -> None:
        """Ignore the first `already_sent` messages: earlier tests sent them."""
        self._addon = addon
        self._already_sent = already_sent

    async def messages(self) -> list[dict[str, Any]]:
        """The messages this test sent, oldest first."""
        return (await self._addon.outbox())[self._already_sent :]
