"""Hardening benchmark: scan time per MiB of each hostile shape, and the service under its worst load.

    .venv/bin/python benchmarks/bench_hardening.py [--sizes 1,8,32] [--seconds 20] [--parts scan,load,...]

1. The gsm8k verifier, in-process, on every shape of `HOSTILE_SHAPES` at each size, as a completion
   and as a reference: seconds per MiB (linear scans keep it flat as the size grows).
2. `rlvr serve` with its default settings (32 MiB bodies, 64 MiB in flight) in its own process,
   kept at its worst admitted load (two 32 MiB hostile bodies at a time, more refused with 429)
   while /healthz is polled: /healthz p50/p99 and the peak RSS (VmHWM) of the server and its pool workers together.
3. Issue 20's attacks (hardening_attacks.py), each on `rlvr serve` with its defaults: a flood of
   header-less connections under a lowered open-file limit (/healthz p50/p99 on new connections);
   SIGTERM 0.8 s into four 3,000-item math batches (each answer's status and time after the signal);
   `kill -9` of workers and of the spares loading in their place during a 3,004-item math batch.
Parts not run keep their last figures in benchmarks/results/hardening.{md,json}.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from hardening_attacks import header_flood, sigterm_inflight, spare_kills
from rich.console import Console
from rich.progress import track
from rich.table import Table

from rlvr.services.runtime.settings import Settings
from rlvr.services.verifiers.gsm8k import GSM8KVerifier, parse_reference
from rlvr.testing.conformance import HOSTILE_SHAPES, hostile
from rlvr.testing.processes import peak_rss_bytes, serve_process

ROOT = Path(__file__).resolve().parents[1]
MIB = 1 << 20
log = logging.getLogger("bench_hardening")


def scan_times(sizes: list[int]) -> list[dict[str, Any]]:
    verifier = GSM8KVerifier()
    rows = []
    for shape in track(list(HOSTILE_SHAPES), description="hostile shapes"):
        row: dict[str, Any] = {"shape": shape}
        for size in sizes:
            text = hostile(shape, size * MIB)
            started = time.perf_counter()
            verifier.score(text, "18")
            row[f"completion {size} MiB"] = (time.perf_counter() - started) / (len(text) / MIB)
            started = time.perf_counter()
            with contextlib.suppress(ValueError):  # a hostile reference is refused, in linear time
                parse_reference(text)
            row[f"reference {size} MiB"] = (time.perf_counter() - started) / (len(text) / MIB)
        rows.append(row)
    return rows


def under_load(seconds: float) -> dict[str, Any]:
    # The slowest scan left: a reference of `-` (about 0.35 s/MiB); 15 x 2 MiB = one 30 MiB body.
    body = json.dumps({"items": [{"completion": "#### 1", "reference": hostile("- runs", 2 * MIB)}] * 15})
    statuses: dict[int, int] = {}
    stop = threading.Event()
    with serve_process({"RLVR_VERIFIERS": "gsm8k"}) as (proc, url):

        def load() -> None:
            with httpx.Client(timeout=120) as client:
                while not stop.is_set():
                    code = client.post(f"{url}/score", content=body).status_code
                    statuses[code] = statuses.get(code, 0) + 1
                    if code == 429:
                        time.sleep(0.2)

        threads = [threading.Thread(target=load) for _ in range(3)]  # one more than the budget admits
        for t in threads:
            t.start()
        latencies = []
        with httpx.Client(timeout=10) as client:
            started = time.monotonic()
            while time.monotonic() - started < seconds:
                t0 = time.perf_counter()
                client.get(f"{url}/healthz")
                latencies.append(time.perf_counter() - t0)
                time.sleep(0.02)
        stop.set()
        for t in threads:
            t.join()
        peak_kib = peak_rss_bytes(proc.pid) // 1024
    latencies.sort()
    return {
        "body_mib": len(body) / MIB,
        "healthz_n": len(latencies),
        "healthz_p50_ms": latencies[len(latencies) // 2] * 1000,
        "healthz_p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "peak_rss_mib": peak_kib / 1024,
        "responses": statuses,
    }


def summaries(results: dict[str, Any]) -> list[str]:
    """One line per measured part, for the console and hardening.md."""
    lines = []
    if load := results.get("load"):
        lines.append(
            f"worst admitted load ({load['body_mib']:.0f} MiB hostile bodies, 3 clients, "
            f"{Settings().max_inflight_bytes / 2**20:.0f} MiB in flight at most, {os.cpu_count()} cores): "
            f"/healthz p50 {load['healthz_p50_ms']:.1f} ms, p99 {load['healthz_p99_ms']:.1f} ms "
            f"over {load['healthz_n']} probes; peak RSS (server + workers) {load['peak_rss_mib']:.0f} MiB; "
            f"responses {load['responses']}"
        )
    if flood := results.get("flood"):
        lines.append(
            f"header-less flood ({flood['open_files']} open files, at most {flood['idle_limit']} waiting "
            f"connections; {flood['opened']} opened by 2 attackers): /healthz p50 {flood['healthz_p50_ms']:.1f} ms, "
            f"p99 {flood['healthz_p99_ms']:.1f} ms, max {flood['healthz_max_ms']:.0f} ms over {flood['healthz_n']} "
            f"probes, {flood['healthz_failed']} failed; server open files at most {flood['server_fds_max']}"
        )
    if sigterm := results.get("sigterm"):
        answers = "; ".join(
            f"{a['http']} after {a['after_sigterm_s']:.1f} s ({a['scored']} scored, {a['timeout']} timeout, "
            f"{a['error']} error)"
            for a in sorted(sigterm["answers"], key=lambda a: a["after_sigterm_s"])
        )
        lines.append(
            f"SIGTERM 0.8 s into 4 x 3,000 math items (grace {sigterm['grace_s']} s): {answers}; "
            f"exit {sigterm['exit_after_sigterm_s']:.1f} s after the signal"
        )
    if spares := results.get("spares"):
        lines.append(
            f"kill -9 during a {spares['items']}-item math batch ({', '.join(spares['kills'])}): "
            f"HTTP {spares['http']}, {spares['statuses']}, {spares['worker_unavailable']} `worker_unavailable`"
        )
    return lines


def scan_table(rows: list[dict[str, Any]]) -> tuple[Table, list[str]]:
    columns = [c for side in ("completion", "reference") for c in rows[0] if c.startswith(side)]
    headers = ["shape", *columns]
    table = Table(title="gsm8k verifier: seconds per MiB of hostile completion / reference")
    for h in headers:
        table.add_column(h, justify="right")
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        cells = [f"`{row['shape']}`"] + [f"{row[c]:.3f}" for c in headers[1:]]
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    return table, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,8,32", help="MiB, comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--parts", default="scan,load,flood,sigterm,spares", help="comma-separated")
    parser.add_argument("--open-files", type=int, default=1024, help="the server's open-file limit in the flood")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per probe otherwise
    parts = set(args.parts.split(","))
    saved = args.out / "hardening.json"
    results: dict[str, Any] = json.loads(saved.read_text()) if saved.exists() else {}
    if "scan" in parts:
        results["scan"] = scan_times([int(s) for s in args.sizes.split(",")])
    if "load" in parts:
        results["load"] = under_load(args.seconds)
    if "flood" in parts:
        results["flood"] = header_flood(args.seconds, args.open_files)
    if "sigterm" in parts:
        results["sigterm"] = sigterm_inflight()
    if "spares" in parts:
        results["spares"] = spare_kills()
    console = Console()
    table, lines = scan_table(results["scan"]) if results.get("scan") else (None, [])
    if table is not None:
        console.print(table)
    for line in summaries(results):
        console.print(line)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hardening.md").write_text("\n".join([*lines, "", *summaries(results)]) + "\n")
    saved.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
