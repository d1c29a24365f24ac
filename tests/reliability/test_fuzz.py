"""Schemathesis against the add-on's own /openapi.json: no 5xx, nothing that contradicts the schema.

The add-on runs the simulator engine with a linked session, and a background
"phone" delivers a message every 100 ms, as a lived-in add-on receives them.
The operations that take the session down on purpose (logout, restart, a
simulated disconnect) are left to the state-machine tests: while unlinked the
add-on answers sends with the contract's 503 `not_connected`, so with them in
the mix a 5xx would no longer tell a bug from a session that is simply down.

Keeping `GET /v1/events?wait=…` bounded: `after` is fuzzed over its whole range
and `wait` over every invalid value, but valid waits are shortened (see
schemathesis_hooks.py): a request with nothing newer than `after` is held for
`wait` seconds, as the contract says. A request that still took longer than
`REQUEST_TIMEOUT` would be reported as an error and fail the test.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
import json
import os
from pathlib import Path
import random
import sys
from typing import TYPE_CHECKING

import aiohttp

from .addon_process import AddonError, AddonProcess

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .conftest import Sizes

SCHEMATHESIS = Path(sys.executable).with_name("st")
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
CONFIG = Path(__file__).with_name("schemathesis.toml")
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "ignored_auth",
)
REQUEST_TIMEOUT = 10
BACKGROUND_MESSAGE_INTERVAL = 0.1


SESSION_DISRUPTING_PATHS = tuple(
    path
    for route in ("session/logout", "session/restart", "simulator/disconnect")
    # Unscoped (the account `default`) and per account, as the add-on serves each route.
    for path in (f"/v1/{route}", f"/v1/accounts/{{account}}/{route}")
)


async def keep_talking(addon: AddonProcess) -> None:
    """Play a contact who keeps writing, so long polls never wait long."""
    delivered = 0
    while True:
        with suppress(aiohttp.ClientError, TimeoutError, AddonError):
            delivered += 1
            await addon.call(
                "POST",
                "/v1/simulator/incoming",
                {"from": "+4917612345678", "text": f"background {delivered}"},
            )
        await asyncio.sleep(BACKGROUND_MESSAGE_INTERVAL)


def generated_cases(ndjson: Path) -> int:
    """Test cases Schemathesis generated and sent, from its event log."""
    cases = 0
    for line in ndjson.read_text().splitlines():
        event = json.loads(line)
        for name, body in event.items():
            if name == "ScenarioFinished":
                cases += len(body["recorder"].get("cases", {}))
    return cases


async def test_generated_requests_get_no_5xx_and_match_the_schema(
    hass: HomeAssistant, tmp_path: Path, socket_enabled: None, sizes: Sizes
) -> None:
    """Every generated request, valid or not, gets an answer the schema allows."""
    addon = AddonProcess(
        tmp_path / "addon-data",
        tmp_path / "addon.log",
        env={
            # Sends leave at once, so no case waits on pacing.
            "WA_SEND_RATE_PER_MINUTE": "0",
            # Every case is also probed with a wrong key (ignored_auth); the add-on
            # would otherwise make this address pause after a few (tested in the add-on).
            "WA_FREE_WRONG_KEYS": "100000000",
        },
    )
    report = tmp_path / "schemathesis.ndjson"
    seed = random.randrange(2**64)  # noqa: S311 - a fuzz seed, not a secret
    # The coverage phase adds its own cases on top of these, per operation.
    per_operation = max(10, sizes.fuzz_cases // 20)
    phone: asyncio.Task[None] | None = None
    try:
        await addon.start()
        await addon.link()
        phone = asyncio.create_task(keep_talking(addon))
        process = await asyncio.create_subprocess_exec(
            SCHEMATHESIS,
            "--config-file",
            str(CONFIG),
            "run",
            f"{addon.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {addon.api_key}",
            "--checks",
            ",".join(CHECKS),
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            str(per_operation),
            "--seed",
            str(seed),
            "--workers",
            "2",
            *(
                argument
                for path in SESSION_DISRUPTING_PATHS
                for argument in ("--exclude-path", path)
            ),
            "--request-timeout",
            str(REQUEST_TIMEOUT),
            "--generation-database",
            "none",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(report),
            "--no-color",
            env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)},
            # Schemathesis keeps a cache in its working directory; not in the repository.
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            output, _ = await asyncio.wait_for(process.communicate(), timeout=900)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
        text = output.decode(errors="replace")
        assert process.returncode == 0, f"seed {seed}\n{text[-20000:]}"
        cases = generated_cases(report)
        assert cases >= sizes.fuzz_cases, f"only {cases} cases\n{text[-3000:]}"
    finally:
        if phone is not None:
            phone.cancel()
            with suppress(asyncio.CancelledError):
                await phone
        await addon.close()
