"""The real add-on service as a child process on loopback, for the reliability suite and the benchmarks.

It runs `node dist/src/main.js` (what `npm start` runs, without npm in between), so the
process id is the service's own: it can be SIGKILLed at any moment and its memory read.
A restart keeps the data directory, port and API key, as a crash and a Supervisor
restart would. Every instance ever started is remembered, so a test run can check
afterwards that no log line ever contained an API key.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
import secrets
import shutil
import signal
import socket
import subprocess
import time
from typing import Any

import aiohttp

# Another build of the add-on can be tested by naming its folder.
ADDON_DIR = Path(
    os.environ.get("WA_TEST_ADDON_DIR") or Path(__file__).parents[2] / "addon"
)
MAIN = ADDON_DIR / "dist" / "src" / "main.js"
NODE = shutil.which("node") or "node"
DEFAULT_PHONE = "+15550000001"
DEFAULT_JID = "15550000001@s.whatsapp.net"
DEFAULT_ACCOUNT = "default"

STARTED: list[AddonProcess] = []
_built = False


class AddonError(AssertionError):
    """The add-on did not do what the caller waited for."""


def ensure_built() -> None:
    """Compile the add-on if its sources are newer than the build (once per process)."""
    global _built  # noqa: PLW0603 - one build per test process
    if _built:
        return
    if not (ADDON_DIR / "node_modules").is_dir():
        raise AddonError("The add-on's packages are missing: run scripts/bootstrap")
    subprocess.run(  # noqa: S603 - a fixed command of this repository
        [NODE, "scripts/ensure-build.mjs"], cwd=ADDON_DIR, check=True, timeout=300
    )
    _built = True


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_for(
    condition: Any, *, within: float, what: str, interval: float = 0.02
) -> Any:
    """Await `condition()` until it returns something truthy; raise after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AddonError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(interval)


class AddonProcess:
    """One add-on service; restartable on the same data directory, port and key."""

    def __init__(
        self,
        data_dir: Path,
        log_path: Path,
        *,
        engine: str = "simulator",
        log_level: str = "trace",
        env: dict[str, str] | None = None,
        node_args: list[str] | None = None,
    ) -> None:
        """Pick a port and a key; nothing runs before `start`."""
        self.data_dir = data_dir
        self.log_path = log_path
        self.engine = engine
        self.log_level = log_level
        self.extra_env = env or {}
        self.node_args = node_args or []
        self.port = free_port()
        self.ingress_port = free_port()
        self.api_key = secrets.token_urlsafe(24)
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._http: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        """Where the API answers."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The service's own process id."""
        assert self.process is not None, "the add-on is not running"
        return self.process.pid

    @property
    def http(self) -> aiohttp.ClientSession:
        """The session the helpers below use (not the one Home Assistant uses)."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
        return self._http

    def log_text(self) -> str:
        """Everything the service wrote to stdout and stderr, over all its starts."""
        return (
            self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        )

    async def start(self, *, within: float = 30) -> None:
        """Run the service and wait until `/health` answers."""
        await self._launch(
            [NODE, *self.node_args, str(MAIN)],
            {**self.service_env(), **self.extra_env},
            what="the add-on to start",
            within=within,
        )

    def service_env(self) -> dict[str, str]:
        """The environment the service reads: engine, data folder, ports, key and log level."""
        return {
            "PATH": os.environ.get("PATH", ""),
            "WA_ENGINE": self.engine,
            "WA_DATA_DIR": str(self.data_dir),
            "WA_HOST": "127.0.0.1",
            "WA_PORT": str(self.port),
            "WA_INGRESS_PORT": str(self.ingress_port),
            "WA_API_KEY": self.api_key,
            "WA_LOG_LEVEL": self.log_level,
        }

    async def _launch(
        self,
        command: list[str],
        env: dict[str, str],
        *,
        what: str,
        within: float,
        new_session: bool = False,
    ) -> None:
        """Start `command` with its output in the log and wait until `/health` answers."""
        ensure_built()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: ASYNC220, S603 - returns at once; fixed command
                command,
                cwd=ADDON_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=new_session,
            )
        if self not in STARTED:
            STARTED.append(self)
        self.starts += 1
        await wait_for(self._healthy, within=within, what=what)

    async def _healthy(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AddonError(
                f"the add-on exited with {self.process.returncode}:\n"
                + self.log_text()[-3000:]
            )
        try:
            async with self.http.get(
                f"{self.url}/health", timeout=aiohttp.ClientTimeout(total=2)
            ) as response:
                return response.status == 200
        except aiohttp.ClientError, TimeoutError:
            return False

    async def stop(self, sig: signal.Signals = signal.SIGTERM) -> int | None:
        """Send `sig` and wait until the process is gone; returns its exit code."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(sig)
        await wait_for(lambda: _exited(process), within=15, what="the add-on to exit")
        return process.returncode

    async def kill(self) -> None:
        """End the service abruptly, as a crash or a power cut would."""
        await self.stop(signal.SIGKILL)

    async def close(self) -> None:
        """Kill the service (if running) and close the helper HTTP session."""
        await self.kill()
        if self._http is not None:
            await self._http.close()

    def rss_bytes(self) -> int:
        """Resident memory of the service right now."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AddonError("no VmRSS in /proc status")

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        time_limit: float = 10,
    ) -> tuple[int, Any]:
        """One API request with the key; returns the status and the decoded JSON body."""
        async with self.http.request(
            method,
            f"{self.url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.api_key}", **(headers or {})},
            timeout=aiohttp.ClientTimeout(total=time_limit),
        ) as response:
            return response.status, await response.json(content_type=None)

    async def request(self, method: str, path: str, body: Any = None) -> Any:
        """An API request that must succeed; returns the body."""
        status, data = await self.call(method, path, body)
        if status != 200:
            raise AddonError(f"{method} {path} → {status} {data}")
        return data

    @staticmethod
    def routes(account: str = DEFAULT_ACCOUNT) -> str:
        """Where an account's routes start: `/v1` for `default`."""
        return "/v1" if account == DEFAULT_ACCOUNT else f"/v1/accounts/{account}"

    async def create_account(self, account: str) -> None:
        """Create an account in the add-on; it starts pairing."""
        status, data = await self.call("POST", "/v1/accounts", {"id": account})
        if status != 201:
            raise AddonError(f"POST /v1/accounts → {status} {data}")

    async def state(self, account: str = DEFAULT_ACCOUNT) -> str:
        """The account's session state (`GET /v1/session`)."""
        return str(
            (await self.request("GET", f"{self.routes(account)}/session"))["state"]
        )

    async def wait_for_state(
        self, state: str, *, within: float = 15, account: str = DEFAULT_ACCOUNT
    ) -> None:
        """Wait until the account's session reaches `state`."""

        async def reached() -> bool:
            return await self.state(account) == state

        await wait_for(reached, within=within, what=f"session state {state}")

    async def link(
        self, phone: str = DEFAULT_PHONE, *, account: str = DEFAULT_ACCOUNT
    ) -> None:
        """Pair like a phone scanning the QR code, and wait until connected."""
        await self.wait_for_state("pairing", account=account)
        await self.request(
            "POST", f"{self.routes(account)}/simulator/scan", {"phone": phone}
        )
        await self.wait_for_state("connected", account=account)

    async def last_seq(self, account: str = DEFAULT_ACCOUNT) -> int:
        """The newest sequence number in the account's journal."""
        page = await self.request(
            "GET", f"{self.routes(account)}/events?after=0&limit=1"
        )
        return int(page["last_seq"])


async def _exited(process: subprocess.Popen[bytes]) -> bool:
    return process.poll() is not None


def keys_found_in_logs() -> list[str]:
    """Add-ons started by this test process whose log contains their API key."""
    return [
        str(addon.log_path) for addon in STARTED if addon.api_key in addon.log_text()
    ]
