"""Math verifier benchmark: throughput with 1 and 2 pool workers, worst-case latency with hostile items.

    .venv/bin/python benchmarks/bench_math.py [--seconds 10] [--deadline 2]

Each configuration runs `rlvr serve --verifiers math` in its own process on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("bench_math")

PAIRS = [
    ("\\boxed{\\frac{1}{2}}", "0.5"),
    ("\\boxed{\\sqrt{4}}", "2"),
    ("\\boxed{\\frac{\\sqrt 3}{2}}", "\\frac{\\sqrt{3}}{2}"),
    ("\\boxed{\\{2, 1\\}}", "\\{1,2\\}"),
    ("\\boxed{(0,1]}", "(0,1]"),
    ("\\boxed{(x+1)^2}", "x^2+2x+1"),
    ("\\boxed{3\\pi}", "3\\pi"),
    ("\\boxed{\\frac{7}{3}}", "2.5"),
]
HOSTILE = "\\boxed{9^{9^{9^{9}}}}"


def start(workers: int, deadline: float) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = os.environ | {
        "RLVR_VERIFIERS": "math",
        "RLVR_WORKERS": str(workers),
        "RLVR_ITEM_DEADLINE_S": str(deadline),
        "RLVR_LOG_LEVEL": "warning",
    }
    cmd = [sys.executable, "-m", "rlvr.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("math service did not become ready")


def items(n: int, hostile: int = 0) -> list[dict[str, str]]:
    out = [{"completion": c, "reference": r} for c, r in (PAIRS * (n // len(PAIRS) + 1))[:n]]
    for i in range(hostile):
        out[(i + 1) * n // (hostile + 1)] = {"completion": HOSTILE, "reference": "1"}
    return out


def measure(workers: int, seconds: float, deadline: float) -> dict[str, Any]:
    proc, url = start(workers, deadline)
    try:
        with httpx.Client(base_url=url, timeout=120) as client:
            batch = items(64)
            client.post("/score", json={"items": batch})  # warm: imports, reference cache
            done, started = 0, time.perf_counter()
            while time.perf_counter() - started < seconds:
                reply = client.post("/score", json={"items": batch})
                assert all(r["status"] == "scored" for r in reply.json()["results"])
                done += len(batch)
            throughput = done / (time.perf_counter() - started)
            t = time.perf_counter()
            results = client.post("/score", json={"items": items(64, hostile=2)}).json()["results"]
            hostile_latency = time.perf_counter() - t
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    statuses = [r["status"] for r in results]
    return {
        "workers": workers,
        "items_per_s": throughput,
        "hostile_batch_s": hostile_latency,
        "timeouts": statuses.count("timeout"),
        "scored": statuses.count("scored"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--deadline", type=float, default=2.0, help="RLVR_ITEM_DEADLINE_S")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rows = [measure(w, args.seconds, args.deadline) for w in (1, 2)]
    table = Table(title=f"math verifier (math-verify), batch 64, deadline {args.deadline:g}s, 127.0.0.1")
    headers = ["workers", "items/s", "hostile batch (2 of 64) s", "timeouts", "scored"]
    for h in headers:
        table.add_column(h, justify="right")
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for r in rows:
        cells = [str(r["workers"]), f"{r['items_per_s']:.0f}", f"{r['hostile_batch_s']:.2f}", str(r["timeouts"]),
                 str(r["scored"])]  # fmt: skip
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    Console().print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "math.md").write_text("\n".join(lines) + "\n")
    (args.out / "math.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
