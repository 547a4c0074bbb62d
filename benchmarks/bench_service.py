"""Service benchmark: in-process gsm8k verification vs the rlvr HTTP service vs a plain FastAPI server.

    .venv/bin/python benchmarks/bench_service.py [--seconds 3] [--out benchmarks/results]

The plain baseline is what a user would write: FastAPI with pydantic request and response
models around the same verifier call. Each server runs in its own process (uvicorn, one
worker) on 127.0.0.1; clients are httpx with keep-alive, request bodies pre-encoded.
Prints a table (completions/s, p50/p99 latency, ratios) and writes it as markdown and JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
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

from rlvr.services.verifiers.gsm8k import GSM8KVerifier  # noqa: E402
from rlvr.services.verifiers.outcome import score_batch  # noqa: E402

log = logging.getLogger("bench")
DATA = ROOT.parent / "shared" / "data" / "gsm8k" / "example_model_solutions.jsonl"
BATCHES = (16, 256, 1024)

PLAIN_APP = """
from fastapi import FastAPI
from pydantic import BaseModel
from rlvr.services.verifiers.gsm8k import GSM8KVerifier

class Item(BaseModel):
    id: str | None = None
    completion: str
    reference: str

class Req(BaseModel):
    items: list[Item]

class Res(BaseModel):
    id: str
    reward: float | None
    components: dict[str, float]

class Resp(BaseModel):
    results: list[Res]

app = FastAPI()
verifier = GSM8KVerifier()

@app.post("/score", response_model=Resp)
def score(req: Req) -> Resp:
    out = []
    for i, item in enumerate(req.items):
        try:
            v = verifier.score(item.completion, item.reference)
            out.append(Res(id=item.id or str(i), reward=v.reward, components=v.components))
        except ValueError:
            out.append(Res(id=item.id or str(i), reward=None, components={}))
    return Resp(results=out)
"""


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
        (tmp / "plain_app.py").write_text(PLAIN_APP)
        cmd = [sys.executable, "-m", "uvicorn", "plain_app:app", "--host", "127.0.0.1", "--port", str(port)]
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
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out.mkdir(parents=True, exist_ok=True)

    rows: list[dict[str, Any]] = []
    tmp = Path(tempfile.mkdtemp(prefix="rlvr-bench-"))
    servers = {kind: start_server(kind, tmp) for kind in ("rlvr", "plain")}
    try:
        for batch in BATCHES:
            items = load_items(batch)
            body = json.dumps({"items": items}).encode()
            inproc = summarise(run_inprocess(items, args.seconds), batch, 1, args.seconds)
            for clients in (1, 4):
                cell = {"batch": batch, "clients": clients, "in_process": inproc}
                for kind, (_, url) in servers.items():
                    log.info("batch %d, %d client(s), %s", batch, clients, kind)
                    lat = asyncio.run(run_http(url, body, clients, args.seconds))
                    cell[kind] = summarise(lat, batch, clients, args.seconds)
                rows.append(cell)
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=10)

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
