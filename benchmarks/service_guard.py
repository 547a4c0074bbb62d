"""The throughput guard of issue 20: `rlvr serve` against the one-regex FastAPI server, batch 256, 4 clients,
in alternating rounds on the same machine, with each server's CPU time per request (run by bench_service.py).

Rounds alternate (rlvr, regex, rlvr, regex, ...) so that load from other work on the machine falls on
both; the ratio of each round and their spread are reported, never one figure alone.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import time
from typing import Any

import httpx
from tqdm import tqdm

GUARD = 0.8  # rlvr's throughput as a share of the regex server's, same run


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far (Linux /proc)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115 (one read)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def throughput(url: str, body: bytes, clients: int, seconds: float) -> tuple[int, float]:
    """Requests answered 200 by `clients` keep-alive clients in `seconds`, and the seconds it took."""
    answered = 0
    stop = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal answered
        async with httpx.AsyncClient(base_url=url, timeout=60) as c:
            headers = {"Content-Type": "application/json"}
            await c.post("/score", content=body, headers=headers)  # warm the connection
            while time.perf_counter() < stop:
                reply = await c.post("/score", content=body, headers=headers)
                if reply.status_code != 200:
                    raise RuntimeError(f"{url}: {reply.status_code} {reply.text[:200]}")
                answered += 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return answered, time.perf_counter() - started


def guard(
    servers: dict[str, tuple[subprocess.Popen[bytes], str]], body: bytes, batch: int, rounds: int, seconds: float
) -> dict[str, Any]:
    """Alternating rounds of rlvr and regex: items/s and server CPU ms per request of each, ratio per round."""
    figures: dict[str, dict[str, list[float]]] = {k: {"items_per_s": [], "cpu_ms": []} for k in ("rlvr", "regex")}
    for _ in tqdm(range(rounds), desc="guard rounds (rlvr, regex)"):
        for kind in ("rlvr", "regex"):
            proc, url = servers[kind]
            cpu = cpu_seconds(proc.pid)
            answered, took = asyncio.run(throughput(url, body, 4, seconds))
            figures[kind]["items_per_s"].append(answered * batch / took)
            figures[kind]["cpu_ms"].append((cpu_seconds(proc.pid) - cpu) * 1000 / max(answered, 1))
    ratios = [a / b for a, b in zip(figures["rlvr"]["items_per_s"], figures["regex"]["items_per_s"], strict=True)]
    return {"figures": figures, "ratios": ratios, "median_ratio": statistics.median(ratios), "guard": GUARD}


def guard_lines(result: dict[str, Any], load: tuple[float, float, float]) -> list[str]:
    """The guard's figures as markdown lines."""
    rl, rx = result["figures"]["rlvr"], result["figures"]["regex"]
    med = statistics.median
    ratios = result["ratios"]
    return [
        f"Guard (batch 256, 4 clients, {len(ratios)} alternating rounds; load average {load[0]:.1f}): "
        f"rlvr/regex median **{result['median_ratio']:.2f}x** (rounds {min(ratios):.2f}x to {max(ratios):.2f}x; "
        f"guard {GUARD}x).",
        "",
        "| server | items/s median (min-max) | server CPU ms per request median (min) |",
        "|---|---|---|",
        f"| rlvr serve | {med(rl['items_per_s']):,.0f} ({min(rl['items_per_s']):,.0f}-{max(rl['items_per_s']):,.0f}) "
        f"| {med(rl['cpu_ms']):.2f} ({min(rl['cpu_ms']):.2f}) |",
        f"| one-regex FastAPI | {med(rx['items_per_s']):,.0f} ({min(rx['items_per_s']):,.0f}-"
        f"{max(rx['items_per_s']):,.0f}) | {med(rx['cpu_ms']):.2f} ({min(rx['cpu_ms']):.2f}) |",
    ]
