"""The attacks of issue 20, measured against `rlvr serve` on 127.0.0.1 (parts of bench_hardening.py).

- header_flood: a lowered open-file limit, two processes opening header-less connections as fast as they
  can (keeping twice that limit open), /healthz probed on a new connection every 20 ms;
- sigterm_inflight: math, four clients posting 3,000 items (two with a SymPy bomb), SIGTERM 0.8 s later;
- spare_kills: math, one batch of 3,004 items; `kill -9` of the busiest worker, then of the spare that
  starts loading in its place, three times over, while the batch is scored.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import resource
import signal
import socket
import threading
import time
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

import httpx

from rlvr.services.runtime import Settings
from rlvr.services.runtime.connections import connection_policy
from rlvr.testing.processes import child_pids, serve_process


def _attack(address: tuple[str, int], keep: int, stop: Any, opened: Synchronized) -> None:
    """Open header-less connections until `stop` is set, keeping the newest `keep` open."""
    held: list[socket.socket] = []
    while not stop.is_set():
        try:
            sock = socket.create_connection(address, timeout=2)
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        except OSError:
            continue
        held.append(sock)
        with opened.get_lock():
            opened.value += 1
        if len(held) > keep:
            held.pop(0).close()


def header_flood(seconds: float, open_files: int) -> dict[str, Any]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, hard))  # inherited by `rlvr serve` as it starts
    try:
        server = serve_process({"RLVR_VERIFIERS": "gsm8k"})
        proc, url = server.__enter__()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    latencies, failures, most_fds = [], 0, 0
    ctx = mp.get_context("spawn")
    opened, stop = ctx.Value("l", 0), ctx.Event()
    host, port = url.removeprefix("http://").split(":")
    attackers = [ctx.Process(target=_attack, args=((host, int(port)), open_files, stop, opened)) for _ in range(2)]
    try:
        for attacker in attackers:
            attacker.start()
        while opened.value < open_files:  # the flood is on once the attackers have opened a limit's worth
            time.sleep(0.05)
        with httpx.Client(timeout=5, limits=httpx.Limits(max_keepalive_connections=0)) as client:
            until = time.monotonic() + seconds
            while time.monotonic() < until:
                t0 = time.perf_counter()
                try:
                    failures += client.get(f"{url}/healthz").status_code != 200
                except httpx.HTTPError:
                    failures += 1
                latencies.append(time.perf_counter() - t0)
                with contextlib.suppress(OSError):
                    most_fds = max(most_fds, len(list(Path(f"/proc/{proc.pid}/fd").iterdir())))
                time.sleep(0.02)
    finally:
        stop.set()
        for attacker in attackers:
            attacker.join()
        server.__exit__(None, None, None)
    latencies.sort()
    return {
        "open_files": open_files,
        "idle_limit": connection_policy(Settings(), open_files).idle_limit,
        "opened": opened.value,
        "server_fds_max": most_fds,
        "healthz_n": len(latencies),
        "healthz_failed": failures,
        "healthz_p50_ms": latencies[len(latencies) // 2] * 1000,
        "healthz_p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "healthz_max_ms": latencies[-1] * 1000,
    }


def sigterm_inflight() -> dict[str, Any]:
    answers: list[dict[str, Any]] = []
    with serve_process({"RLVR_VERIFIERS": "math"}) as (proc, url):
        signalled = [0.0]

        def client(bomb: bool) -> None:
            items = _math_items(3000, bombs=int(bomb))
            reply = httpx.post(f"{url}/score", json={"items": items}, timeout=120)
            statuses = [r["status"] for r in reply.json()["results"]] if reply.status_code == 200 else []
            answers.append(
                {"http": reply.status_code, "after_sigterm_s": time.monotonic() - signalled[0]}
                | {s: statuses.count(s) for s in ("scored", "timeout", "error")}
            )

        clients = [threading.Thread(target=client, args=(k < 2,)) for k in range(4)]
        for t in clients:
            t.start()
        time.sleep(0.8)  # the attack's timing (issue 20), not a readiness wait
        signalled[0] = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        for t in clients:
            t.join()
        exit_s = (proc.wait(timeout=60), time.monotonic() - signalled[0])[1]
    return {"answers": answers, "exit_after_sigterm_s": exit_s, "grace_s": Settings().shutdown_grace_s}


def _math_items(count: int, bombs: int) -> list[dict[str, str]]:
    items = [{"completion": f"\\boxed{{{i}}}", "reference": str(i)} for i in range(count)]
    return items + [{"completion": "\\boxed{10^{10^{9}}}", "reference": "1"}] * bombs


def _cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return -1
    return int(fields[11]) + int(fields[12])


def _new_child(pid: int, known: set[int], timeout_s: float = 30) -> int | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if new := set(child_pids(pid)) - known:
            return min(new)
        time.sleep(0.01)
    return None


def spare_kills(rounds: int = 3) -> dict[str, Any]:
    counts: dict[str, int] = {}
    kills: list[str] = []
    with serve_process({"RLVR_VERIFIERS": "math"}) as (proc, url):
        reply: list[httpx.Response] = []
        client = threading.Thread(
            target=lambda: reply.append(
                httpx.post(f"{url}/score", json={"items": _math_items(3000, bombs=4)}, timeout=300)
            )
        )
        known = set(child_pids(proc.pid))
        client.start()
        while not any(_cpu_ticks(p) > 150 for p in known) and client.is_alive():
            time.sleep(0.01)  # polled: a worker has spent 1.5 s of CPU on the batch
        for _ in range(rounds):
            if not client.is_alive():
                break
            busiest = max(child_pids(proc.pid), key=_cpu_ticks)
            with contextlib.suppress(OSError):
                os.kill(busiest, signal.SIGKILL)
                kills.append("worker")
            known = set(child_pids(proc.pid)) | {busiest}
            if (spare := _new_child(proc.pid, known)) is not None:  # the spare that starts in its place
                with contextlib.suppress(OSError):
                    os.kill(spare, signal.SIGKILL)
                    kills.append("loading spare")
            known = set(child_pids(proc.pid))
            time.sleep(0.5)  # the attack's pace, not a readiness wait
        client.join()
        results = reply[0].json()["results"] if reply and reply[0].status_code == 200 else []
        for result in results:
            counts[result["status"]] = counts.get(result["status"], 0) + 1
        unavailable = sum("worker_unavailable" in r["flags"] for r in results)
    return {"http": reply[0].status_code if reply else None, "items": len(results), "kills": kills,
            "statuses": counts, "worker_unavailable": unavailable}  # fmt: skip
