"""Turn the figures of one benchmark run (JSON) into bench/RESULTS.md.

Usage: python bench/report.py RESULTS_JSON SECONDS_TAKEN > bench/RESULTS.md
       python bench/report.py RESULTS_JSON --summary
"""

from __future__ import annotations

from datetime import UTC, datetime
import json
import os
from pathlib import Path
import platform
import shutil
import subprocess
import sys
from typing import Any

from homeassistant.const import __version__ as ha_version
from report_vs_bare import section as vs_bare_section, summary as vs_bare_summary

# Hand-written: what bounds each missed goal, with the profiles that show it.
FINDINGS = Path(__file__).with_name("FINDINGS.md")


def machine(started_load: str) -> str:
    """Cores, CPU, memory, OS and runtimes, without anything that identifies the host."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    node = subprocess.run(  # noqa: S603 - fixed command
        [shutil.which("node") or "node", "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    os_name = next(
        (
            line.split("=", 1)[1].strip().strip('"')
            for line in Path("/etc/os-release").read_text().splitlines()
            if line.startswith("PRETTY_NAME=")
        ),
        "Linux",
    )
    load = Path("/proc/loadavg").read_text().split()[0]
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_kb / 1024 / 1024:.1f} GB RAM, {os_name}; "
        f"Node.js {node}, Python {platform.python_version()}, Home Assistant {ha_version}; "
        f"load average {started_load} when the run started and {load} when the report was written "
        "(other work shared the machine)"
    )


def ms(value: float) -> str:
    """Milliseconds, readable at every scale."""
    if value >= 100:
        return f"{value:,.0f} ms"
    return f"{value:.1f} ms"


def times(baseline: float, ours: float) -> str:
    """How many times the baseline's figure is ours."""
    return f"{baseline / ours:,.0f}×" if ours > 0 else "—"  # noqa: RUF001 - a times sign


def render(results: dict[str, Any], seconds: float) -> str:
    """The whole RESULTS.md."""
    latency = results["latency_ms"]
    push, slow, eager = latency["push"], latency["poll_5s"], latency["poll_2s"]
    idle = results["idle_requests_per_minute"]
    soak = results["vs_bare"]["two_cores"]["soak"]
    burst = soak["addon"]["burst"]
    catch_up = results["catch_up"]
    memory = results["memory"]
    send = results["send_ms"]
    assist = results["assist_ms"]
    size = results["size"]
    lines = [
        "# Benchmark results",
        "",
        (
            "This add-on and integration (the add-on journals every message; the integration "
            "long-polls the journal) against the design of the other WhatsApp bridges for Home "
            "Assistant (an in-memory queue that Home Assistant drains with a GET every few seconds), "
            "measured side by side in one run on one machine; and the add-on against bare Baileys, "
            "the floor any bridge built on it pays."
        ),
        "",
        (
            f"- **Reproduce:** `scripts/bench` (this run took {seconds / 60:.1f} minutes; "
            "`scripts/bench --quick` is a smoke run that does not touch this file)"
        ),
        f"- **Machine:** {machine(results.get('load_at_start', '?'))}",
        f"- **Run:** {datetime.now(UTC):%Y-%m-%d}, size `{size['name']}`",
        "",
        *vs_bare_section(results),
        *(
            [*FINDINGS.read_text().rstrip().splitlines(), ""]
            if FINDINGS.exists()
            else []
        ),
        "## Delivery latency",
        "",
        (
            f"{push['count']:,} messages at a steady {results['latency_rate_per_s']:g}/s, each "
            "sent by a contact on the fake WhatsApp network (Signal-encrypted, decrypted by the "
            "add-on's real Baileys engine) and handed to the polling stand-in at the same instant; "
            "latency = injection → the message's event on the Home Assistant bus."
        ),
        "",
        "| | this integration | polling every 5 s | polling every 2 s |",
        "|---|---:|---:|---:|",
    ]
    lines.extend(
        f"| {key} | {ms(push[key])} | {ms(slow[key])} ({times(slow[key], push[key])}) "
        f"| {ms(eager[key])} ({times(eager[key], push[key])}) |"
        for key in ("p50", "p95", "p99", "max")
    )
    lines += [
        f"| HTTP requests per idle minute | {idle['push']:g} | {idle['poll_5s']:g} | {idle['poll_2s']:g} |",
        "",
        (
            "The ratios in brackets say how many times longer the polling design takes. While idle "
            "the integration holds one long poll to the journal and refreshes the session state now "
            f"and then; a counting proxy saw, over {idle['window_s']:g} s: "
            + (
                ", ".join(
                    f"`{route}` {n:g}/min" for route, n in idle["push_by_route"].items()
                )
                or "nothing"
            )
            + "."
        ),
        "",
        "## Burst throughput",
        "",
        "| events | appended to the journal in | fired on the bus, all of them, after | events/s | lost | duplicated |",
        "|---:|---:|---:|---:|---:|---:|",
        (
            f"| {soak['messages']:,} | {burst['seconds']:g} s ({burst['per_s']:,}/s) "
            f"| {burst['fired_s']:g} s | {round(soak['messages'] / burst['fired_s']):,} | {burst['lost']} | {burst['duplicated']} |"
        ),
        "",
        (
            f"Injected through `POST /v1/simulator/incoming` by {soak['concurrency']} concurrent "
            "clients, each answered once its message is durable in the journal; Home Assistant "
            "reads the journal through the real listener while it grows. Lost and duplicated are "
            "counted by message id."
        ),
        "",
        "| catch-up after Home Assistant was offline | fired after | events/s | lost | duplicated |",
        "|---:|---:|---:|---:|---:|",
        (
            f"| {catch_up['events']:,} events waiting in the journal | {catch_up['seconds']:g} s "
            f"| {catch_up['events_per_s']:,} | {catch_up['lost']} | {catch_up['duplicated']} |"
        ),
        "",
        (
            "The catch-up shows how fast the integration alone reads and fires: the entry is "
            "unloaded while the messages arrive, then loaded again."
        ),
        "",
        "## Memory while WhatsApp is unreachable",
        "",
        (
            f"The add-on with the real engine loaded and its socket pointed at a closed loopback port, "
            f"backing off as while WhatsApp is unreachable: {memory['baileys_idle_mb']:g} MB RSS. "
            "Memory connected, after load and after a full GC is in the comparison with bare Baileys above."
        ),
        "",
        "## Send overhead",
        "",
        "| sends | p50 | p99 |",
        "|---:|---:|---:|",
        f"| {send['count']:,} | {send['p50']:.2f} ms | {send['p99']:.2f} ms |",
        "",
        (
            "`POST /v1/messages` one at a time to the simulator with pacing off "
            f"(`WA_SEND_RATE_PER_MINUTE=0`), after {size['send_warmup']} warm-up sends."
        ),
        "",
        "## Assist: message in → answer out",
        "",
        "| | p50 | p95 | p99 |",
        "|---|---:|---:|---:|",
        *(
            f"| {label} | {ms(assist[key]['p50'])} | {ms(assist[key]['p95'])} "
            f"| {ms(assist[key]['p99'])} |"
            for key, label in (
                (
                    "whatsapp",
                    "text in WhatsApp → the agent's reply decrypted by the contact",
                ),
                (
                    "agent_alone",
                    "the same agent called directly (`conversation.async_converse`)",
                ),
            )
        ),
        (
            f"| what this integration and the add-on add | "
            f"{ms(assist['whatsapp']['p50'] - assist['agent_alone']['p50'])} "
            f"| {ms(assist['whatsapp']['p95'] - assist['agent_alone']['p95'])} "
            f"| {ms(assist['whatsapp']['p99'] - assist['agent_alone']['p99'])} |"
        ),
        "",
        (
            f'{assist["whatsapp"]["count"]:,} texts, one at a time, alternating "turn on the '
            'heating" and "turn off the heating", from a contact who is a recipient with Home '
            "Assistant's built-in agent, an input boolean *Heating* exposed to Assist, pacing off. "
            "Start: before the simulator's contact encrypts the text; end: the contact's clock when "
            "it decrypted the reply (the simulator runs in the add-on, on the same machine clock). "
            "The difference covers the journal, the long poll, the *typing* presence, the send "
            "queue and WhatsApp's encryption both ways."
        ),
        "",
        "## How it is measured",
        "",
        (
            "- The add-on is the real service (`node --max-old-space-size=… dist/src/main.js`, as `npm start` runs it, log level `info`) on loopback, "
            "its real Baileys engine connected to the fake WhatsApp network (`WA_ENGINE=simulator`, "
            "see docs/simulator.md), which runs in the same process: every figure includes the "
            "contacts' Signal encryption as well as the add-on's decryption, on the same cores. Home Assistant is the test instance of "
            "pytest-homeassistant-custom-component with the integration loaded from this "
            "repository, asyncio debug mode off as in production; its storage is kept in memory."
        ),
        (
            "- The polling stand-in (`bench/polling-bridge.mjs`) keeps one queue per polling client; "
            "each client runs in the same Home Assistant, polls on a fixed schedule with a random "
            "phase, and fires an event per message, as such an integration would."
        ),
        (
            "- Load comes from `bench/addon-client.mjs`, a separate process; send and arrival times "
            "are read from the same monotonic clock."
        ),
        "",
    ]
    return "\n".join(lines)


def summary(results: dict[str, Any]) -> str:
    """One line of the main figures, for the quick run."""
    latency = results["latency_ms"]
    return (
        "latency p50: "
        + ", ".join(
            f"{design} {ms(figures['p50'])}" for design, figures in latency.items()
        )
        + f"; burst {results['vs_bare']['two_cores']['soak']['addon']['burst']['per_s']:,} events/s, "
        f"catch-up {results['catch_up']['events_per_s']:,} events/s; "
        f"send p50 {results['send_ms']['p50']:.2f} ms; "
        f"Assist p50 {ms(results['assist_ms']['whatsapp']['p50'])} "
        f"(agent alone {ms(results['assist_ms']['agent_alone']['p50'])}); "
        f"against bare Baileys: {vs_bare_summary(results)}\n"
    )


if __name__ == "__main__":
    figures = json.loads(Path(sys.argv[1]).read_text())
    if sys.argv[2] == "--summary":
        sys.stdout.write(summary(figures))
    else:
        sys.stdout.write(render(figures, float(sys.argv[2])))
