"""Service benchmark: in-process gsm8k verification vs the rlvr HTTP service vs plain FastAPI servers.

    .venv/bin/python benchmarks/bench_service.py [--seconds 3] [--guard-rounds 8] [--out benchmarks/results]

Baselines (baseline_apps.py): `plain`, FastAPI with pydantic models around the same verifier call, and
`regex`, the same models around one regex, the throughput guard's baseline (service_guard.py: alternating
rounds at batch 256 with 4 clients, each server's CPU time per request). Each server runs in its own
process (uvicorn, one worker) on 127.0.0.1; clients are httpx with keep-alive, bodies pre-encoded.
Prints the table (completions/s, p50/p99 latency, ratios), the guard, and where the server-side time
of one batch of 256 goes (service_breakdown.py); writes them as markdown and JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from baseline_apps import PLAIN_APP, REGEX_APP  # noqa: E402
from service_breakdown import breakdown_table, phases  # noqa: E402
from service_guard import guard, guard_lines  # noqa: E402

from rlvr.services.verifiers.gsm8k import GSM8KVerifier  # noqa: E402
from rlvr.services.verifiers.outcome import score_batch  # noqa: E402

log = logging.getLogger("bench")
DATA = ROOT.parent / "shared" / "data" / "gsm8k" / "example_model_solutions.jsonl"
BATCHES = (16, 256, 1024)


def load_items(n: int) -> list[dict[str, str]]:
    rows = [json.loads(line) for line in DATA.read_text().splitlines()]
    items = []
    for row in rows:
        for solver in ("6b_finetuning", "175b_verification"):
            completion = re.sub(r"\nA: ", "\n#### ", row[solver]["solution"])
            items.append({"completion": completion, "reference": row["ground_truth"]})
    return [dict(item, id=str(i)) for i, item in enumerate((items * (n // len(items) + 1))[:n])]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(kind: str, tmp: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    if kind == "rlvr":
        cmd = [sys.executable, "-m", "rlvr.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    else:
        (tmp / f"{kind}_app.py").write_text(PLAIN_APP if kind == "plain" else REGEX_APP)
        cmd = [sys.executable, "-m", "uvicorn", f"{kind}_app:app", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--log-level", "warning", "--no-access-log", "--app-dir", str(tmp)]
    env = {"PYTHONPATH": str(ROOT), "RLVR_LOG_LEVEL": "warning", "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{kind} server did not start")


async def run_http(url: str, body: bytes, clients: int, seconds: float) -> list[float]:
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as c:
            headers = {"Content-Type": "application/json"}
            await c.post("/score", content=body, headers=headers)  # warm the connection
            while time.perf_counter() < stop:
                t = time.perf_counter()
                reply = await c.post("/score", content=body, headers=headers)
                latencies.append(time.perf_counter() - t)
                if reply.status_code != 200:
                    raise RuntimeError(f"{url}: {reply.status_code} {reply.text[:200]}")

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies


def run_inprocess(items: list[dict[str, str]], seconds: float) -> list[float]:
    verifier = GSM8KVerifier()
    pairs = [(i["completion"], i["reference"]) for i in items]
    latencies = []
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        t = time.perf_counter()
        score_batch(verifier, pairs)
        latencies.append(time.perf_counter() - t)
    return latencies


def summarise(latencies: list[float], batch: int, clients: int, seconds: float) -> dict[str, float]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return {
        "completions_per_s": len(latencies) * batch / seconds,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": p99 * 1000,
        "requests": len(latencies),
        "clients": clients,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per cell")
    parser.add_argument("--guard-rounds", type=int, default=8, help="alternating rounds of the guard (0: skip)")
    parser.add_argument("--only-guard", action="store_true", help="the guard and the breakdown, not the table")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    args.out.mkdir(parents=True, exist_ok=True)

    rows: list[dict[str, Any]] = []
    tmp = Path(tempfile.mkdtemp(prefix="rlvr-bench-"))
    batch_256 = json.dumps({"items": load_items(256)}).encode()
    servers = {kind: start_server(kind, tmp) for kind in ("rlvr", "plain", "regex")}
    try:
        guarded = guard(servers, batch_256, 256, args.guard_rounds, args.seconds) if args.guard_rounds else None
        for batch in () if args.only_guard else BATCHES:
            items = load_items(batch)
            body = json.dumps({"items": items}).encode()
            inproc = summarise(run_inprocess(items, args.seconds), batch, 1, args.seconds)
            for clients in (1, 4):
                cell = {"batch": batch, "clients": clients, "in_process": inproc}
                for kind, (_, url) in {k: servers[k] for k in ("rlvr", "plain")}.items():
                    log.info("batch %d, %d client(s), %s", batch, clients, kind)
                    lat = asyncio.run(run_http(url, body, clients, args.seconds))
                    cell[kind] = summarise(lat, batch, clients, args.seconds)
                rows.append(cell)
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=10)

    breakdown = phases(batch_256, 200)
    report(rows, args)
    report_guard(guarded, breakdown, args)


def report_guard(guarded: dict[str, Any] | None, breakdown: list[tuple[str, float]], args: argparse.Namespace) -> None:
    """Print the guard and the breakdown; write them to service_guard.md and .json."""
    lines = guard_lines(guarded, os.getloadavg()) if guarded else []
    lines += ["", "| phase (server side, one batch of 256, no HTTP) | µs per batch | µs per item |", "|---|---|---|"]
    lines += [f"| {name} | {us:,.0f} | {us / 256:.2f} |" for name, us in breakdown]
    Console().print(breakdown_table(breakdown, 256))
    for line in lines[: lines.index("") if guarded else 0]:
        log.info("%s", line)
    (args.out / "service_guard.md").write_text("\n".join(lines) + "\n")
    (args.out / "service_guard.json").write_text(json.dumps({"guard": guarded, "breakdown": breakdown}, indent=2))


def report(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    """Print the throughput table; write it to service.md and .json (unless there is none: --only-guard)."""
    if not rows:
        return
    table = Table(title="gsm8k scoring throughput (completions/s) and latency, 127.0.0.1")
    for col in (
        "batch",
        "clients",
        "in-process/s",
        "rlvr/s",
        "plain/s",
        "rlvr/plain",
        "rlvr/in-proc",
        "rlvr p50 ms",
        "rlvr p99 ms",
        "plain p99 ms",
    ):
        table.add_column(col, justify="right")
    lines = ["| " + " | ".join(str(c.header) for c in table.columns) + " |", "|" + "---|" * len(table.columns)]
    for r in rows:
        cells = [
            str(r["batch"]), str(r["clients"]),
            f"{r['in_process']['completions_per_s']:,.0f}",
            f"{r['rlvr']['completions_per_s']:,.0f}",
            f"{r['plain']['completions_per_s']:,.0f}",
            f"{r['rlvr']['completions_per_s'] / r['plain']['completions_per_s']:.2f}x",
            f"{r['rlvr']['completions_per_s'] / r['in_process']['completions_per_s']:.0%}",
            f"{r['rlvr']['p50_ms']:.2f}", f"{r['rlvr']['p99_ms']:.2f}", f"{r['plain']['p99_ms']:.2f}",
        ]  # fmt: skip
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    Console().print(table)
    (args.out / "service.md").write_text("\n".join(lines) + "\n")
    (args.out / "service.json").write_text(json.dumps(rows, indent=2))
    log.info("wrote %s and %s", args.out / "service.md", args.out / "service.json")


if __name__ == "__main__":
    main()
