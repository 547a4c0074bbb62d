"""Per-sample adapters vs the batch path vs a plain FastAPI per-sample server, 64 concurrent clients.

    .venv/bin/python benchmarks/bench_adapters.py [--seconds 10] [--clients 64]

Each server runs in its own process on 127.0.0.1 and does the same gsm8k verification:
`rlvr serve` through `/adapters/slime/gsm8k` and `/adapters/openrlhf/gsm8k` (one sample per POST,
as slime and OpenRLHF >= 0.9 send them), the same service's `/score` with one item per POST and
with batches of 256, and a minimal FastAPI app calling `GSM8KVerifier.score` in its handler
(what a hand-written per-sample reward server does, with none of the limits, deadlines or metrics).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from rlvr.testing.processes import free_port, serve_process

ROOT = Path(__file__).resolve().parents[1]
COMPLETION, REFERENCE = "9 * 2 = 18\n#### The final answer is 18", "#### 18"
PLAIN_APP = textwrap.dedent(
    """
    from fastapi import FastAPI
    from rlvr.services.verifiers.gsm8k import GSM8KVerifier
    app, verifier = FastAPI(), GSM8KVerifier()

    @app.post("/reward")
    def reward(body: dict) -> dict:
        return {"reward": verifier.score(body["response"], body["label"]).reward}
    """
)


def scored_samples(reply: dict[str, Any]) -> int:
    """How many samples of one answer were judged, in each protocol's own terms (not merely a 200)."""
    if "results" in reply:  # protocol v1
        return sum(r["status"] == "scored" for r in reply["results"])
    if "extra_logs" in reply:  # OpenRLHF: rlvr_unscored is 1 for a sample not judged
        unscored = reply["extra_logs"]["rlvr_unscored"]
        return sum(u == 0.0 for u in (unscored if isinstance(unscored, list) else [unscored]))
    if "unscored" in reply:  # slime
        return int(not reply["unscored"])
    return int(isinstance(reply.get("reward"), float))  # the plain per-sample server


async def load(url: str, body: dict[str, Any], clients: int, seconds: float) -> tuple[float, int]:
    """Samples judged per second by `clients` concurrent clients posting `body` for `seconds`, and failed requests."""
    done = failed = 0
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def one() -> None:
            nonlocal done, failed
            while time.monotonic() < stop:
                try:
                    reply = await client.post(url, json=body)
                except httpx.TransportError:  # counted: a server that drops connections under load
                    failed += 1
                    continue
                judged = scored_samples(reply.json()) if reply.status_code == 200 else 0
                done += judged
                failed += judged == 0

        started = time.monotonic()
        await asyncio.gather(*(one() for _ in range(clients)))
        return done / (time.monotonic() - started), failed


def plain_server() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [
        sys.executable,
        "-c",
        PLAIN_APP + f"\nimport uvicorn; uvicorn.run(app, host='127.0.0.1', port={port}, log_level='warning')",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.post(f"{url}/reward", json={"response": "#### 1", "label": "1"}, timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("plain server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sample = {"completion": COMPLETION, "reference": REFERENCE}
    rows: list[tuple[str, tuple[float, int]]] = []
    with serve_process({"RLVR_VERIFIERS": "gsm8k"}) as (_, url):
        cases: list[tuple[str, str, dict[str, Any]]] = [
            ("rlvr /adapters/slime (1 sample/POST)", f"{url}/adapters/slime/gsm8k",
             {"prompt": "Q", "response": COMPLETION, "label": REFERENCE}),
            ("rlvr /adapters/openrlhf (1 sample/POST)", f"{url}/adapters/openrlhf/gsm8k",
             {"query": ["Q" + COMPLETION], "prompts": ["Q"], "labels": [REFERENCE]}),
            ("rlvr /score (1 item/POST)", f"{url}/score", {"items": [sample]}),
            ("rlvr /score (256 items/POST)", f"{url}/score", {"items": [sample] * 256}),
        ]  # fmt: skip
        for name, target, body in cases:
            rows.append((name, asyncio.run(load(target, body, args.clients, args.seconds))))
    proc, plain = plain_server()
    try:
        body = {"response": COMPLETION, "label": REFERENCE}
        rows.append(
            (
                "plain FastAPI per-sample server",
                asyncio.run(load(f"{plain}/reward", body, args.clients, args.seconds)),
            )
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    title = f"gsm8k rewards, {args.clients} concurrent clients, 127.0.0.1, {os.cpu_count()} cores"
    table = Table(title=title)
    table.add_column("path")
    table.add_column("judged samples/s", justify="right")
    table.add_column("failed requests", justify="right")
    lines = ["| path | judged samples/s | failed requests |", "|---|---|---|"]
    for name, (rate, failed) in rows:
        table.add_row(name, f"{rate:,.0f}", str(failed))
        lines.append(f"| {name} | {rate:,.0f} | {failed} |")
    Console().print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "adapters.md").write_text("\n".join(lines) + "\n")
    (args.out / "adapters.json").write_text(
        json.dumps({n: {"samples_per_s": r, "failed": f} for n, (r, f) in rows}, indent=2)
    )


if __name__ == "__main__":
    main()
