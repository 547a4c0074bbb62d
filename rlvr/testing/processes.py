"""`rlvr serve` in a process of its own, as a user starts it (the CLI), and what the tests measure of it.

    with serve_process({"RLVR_VERIFIERS": "math"}) as (proc, url): ...

Readiness is polled (`/readyz`), never slept for. Also the demo's launcher: it starts the service
exactly the way these tests prove it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_process(
    env: dict[str, str], start_timeout_s: float = 120.0, args: tuple[str, ...] = ()
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Run `rlvr serve` in its own process on a free loopback port (benchmarks, shutdown tests).

    `env` holds `RLVR_` settings on top of this process's environment; yields the process and its URL
    once `/readyz` answers, and terminates it (SIGTERM, then SIGKILL) when the block exits.
    """
    import httpx

    port = free_port()
    cmd = [sys.executable, "-m", "rlvr.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    # Its own process group: Ctrl-C reaches this process, which then stops the whole group.
    proc = subprocess.Popen(cmd, env=os.environ | {"RLVR_LOG_LEVEL": "warning"} | env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout_s
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"rlvr serve did not become ready (exit code {proc.poll()})")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        yield proc, url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # graceful: answers in flight, reaps its workers
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def child_pids(pid: int) -> list[int]:
    """The live children of a process (Linux /proc)."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        children.append(int(entry))
            except OSError:
                pass
    return children


def peak_rss_bytes(pid: int) -> int:
    """Peak resident memory of a process plus that of its live children (its pool workers): what a
    pod's memory limit counts, give or take shared pages (counted once per process here)."""
    total = 0
    for p in [pid, *child_pids(pid)]:
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) * 1024
        except (OSError, StopIteration):
            pass
    return total
