"""Front-door benchmark: the same batches asked of a verifier service directly and through a front door.

    .venv/bin/python benchmarks/bench_front_door.py [--seconds 5] [--clients 4] [--out benchmarks/results]

Every service is `rlvr serve` in its own process on 127.0.0.1 (the front door hosts `gsm8k=URL`, `math=URL`:
nothing of its own), started and measured in the same run on the same cores. Clients are httpx with
keep-alive and pre-encoded bodies; only `scored` items count. Prints a table (items/s, p50/p99 per
batch, ratio to direct, and the CPU time per request of the front door and of the gsm8k service: what
the hop costs) and writes it as markdown and JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service_guard import cpu_seconds  # noqa: E402

from rlvr.testing.processes import serve_process  # noqa: E402

GSM8K_ITEM = {
    "completion": "Let's think step by step. 3 + 15 = 18.\n#### The final answer is 18",
    "reference": "#### 18",
}
MATH_ITEM = {"completion": "so the answer is \\boxed{\\frac{1}{2}}", "reference": "0.5"}


async def measure(url: str, body: bytes, clients: int, seconds: float) -> tuple[int, list[float]]:
    """Scored items and per-batch latencies of `clients` keep-alive clients posting `body` for `seconds`."""
    scored, latencies = 0, []
    stop = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal scored
        async with httpx.AsyncClient(base_url=url, timeout=60) as c:
            headers = {"Content-Type": "application/json"}
            await c.post("/score", content=body, headers=headers)  # warm the connection (and the upstream's)
            while time.perf_counter() < stop:
                started = time.perf_counter()
                reply = await c.post("/score", content=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                scored += sum(r["status"] == "scored" for r in reply.json()["results"])

    await asyncio.gather(*(client() for _ in range(clients)))
    return scored, latencies


def row(
    name: str, scored: int, latencies: list[float], seconds: float, cpu: dict[str, float]
) -> dict[str, float | str]:
    ordered = sorted(latencies)
    return {
        "path": name,
        **{f"{process}_cpu_ms": seconds_ * 1000 / len(latencies) for process, seconds_ in cpu.items()},
        "items_per_s": scored / seconds,
        "p50_ms": 1000 * ordered[len(ordered) // 2],
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    gsm8k_only = json.dumps({"verifier": "gsm8k", "items": [GSM8K_ITEM] * args.batch}).encode()
    mixed_items = [
        dict(GSM8K_ITEM if i % 2 else MATH_ITEM, verifier="gsm8k" if i % 2 else "math") for i in range(args.batch)
    ]
    mixed = json.dumps({"items": mixed_items}).encode()
    rows = []
    with (
        serve_process({"RLVR_VERIFIERS": "gsm8k"}) as (gsm8k_proc, gsm8k),
        serve_process({"RLVR_VERIFIERS": "math"}) as (_, math),
        serve_process({"RLVR_VERIFIERS": f"gsm8k={gsm8k},math={math}"}) as (front_proc, front),
        serve_process({"RLVR_VERIFIERS": "gsm8k,math"}) as (_, both),
    ):
        pids = {"front": front_proc.pid, "gsm8k": gsm8k_proc.pid}  # CPU per request: where the hop's time goes
        cases = [
            (f"gsm8k direct, batch {args.batch}", gsm8k, gsm8k_only, args.clients),
            (f"gsm8k via front door, batch {args.batch}", front, gsm8k_only, args.clients),
            (f"gsm8k direct, batch {args.batch}, 1 client", gsm8k, gsm8k_only, 1),
            (f"gsm8k via front door, batch {args.batch}, 1 client", front, gsm8k_only, 1),
            (f"mixed gsm8k+math, one process hosting both, batch {args.batch}", both, mixed, args.clients),
            (f"mixed gsm8k+math via front door, batch {args.batch}", front, mixed, args.clients),
        ]
        for name, url, body, clients in tqdm(cases, desc="cases"):
            before = {process: cpu_seconds(pid) for process, pid in pids.items()}
            scored, latencies = asyncio.run(measure(url, body, clients, args.seconds))
            cpu = {process: cpu_seconds(pid) - before[process] for process, pid in pids.items()}
            rows.append(row(name, scored, latencies, args.seconds, cpu))
    report(rows, args)


def report(rows: list[dict[str, float | str]], args: argparse.Namespace) -> None:
    table = Table(title=f"front door vs direct, 127.0.0.1, {os.cpu_count()} cores, {args.clients} clients")
    columns = ("path", "items/s", "p50 ms", "p99 ms", "vs direct", "CPU ms/request: front door", "gsm8k service")
    for column in columns:
        table.add_column(column, justify="left" if column == "path" else "right")
    lines = ["| " + " | ".join(columns) + " |", "|---|---|---|---|---|---|---|"]
    for i, r in enumerate(rows):
        base = rows[i - 1] if i % 2 else r  # each front-door row follows its direct twin
        ratio = f"{float(r['items_per_s']) / float(base['items_per_s']):.2f}x" if i % 2 else ""
        extra = f" (+{float(r['p99_ms']) - float(base['p99_ms']):.1f} ms p99)" if i % 2 else ""
        cells = [str(r["path"]), f"{r['items_per_s']:,.0f}", f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}", ratio + extra]
        cells += [f"{float(r['front_cpu_ms']):.2f}", f"{float(r['gsm8k_cpu_ms']):.2f}"]
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    Console().print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "front_door.md").write_text("\n".join(lines) + "\n")
    (args.out / "front_door.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
