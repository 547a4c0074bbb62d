"""Connections that never finish their headers: closed after RLVR_HEADER_TIMEOUT_S, never more held than the
process's open files allow (the oldest idle one is closed first), never more than 16 KiB of headers buffered;
so /healthz keeps answering while an attacker holds as many header-less connections as the server accepts.

`rlvr serve` runs in its own process on 127.0.0.1; its open-file limit is lowered (inherited from this
process while it starts) so that a few hundred connections exhaust it. The latency figures under attack
live in benchmarks/bench_hardening.py.
"""

from __future__ import annotations

import contextlib
import os
import resource
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from rlvr.services.runtime import Settings
from rlvr.testing.processes import serve_process

PARTIAL = b"GET /healthz HTTP/1.1\r\n"  # a request line, and headers that never end


@contextlib.contextmanager
def _serve(env: dict[str, str], open_files: int | None = None) -> Iterator[tuple[int, str]]:
    """`rlvr serve` (gsm8k) started under a lower open-file limit, which it inherits; yields its pid and URL."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if open_files is not None and hard != resource.RLIM_INFINITY and hard < open_files:
        pytest.skip(f"this process may open at most {hard} files")
    with contextlib.ExitStack() as stack:
        if open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, hard))
        try:
            proc, url = stack.enter_context(serve_process({"RLVR_VERIFIERS": "gsm8k"} | env))
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        yield proc.pid, url


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return str(parts.hostname), int(parts.port or 80)


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the peer closed (EOF or reset); never blocks."""
    if not select.select([sock], [], [], 0)[0]:
        return False
    try:
        return sock.recv(1 << 16) == b""
    except OSError:
        return True


def _open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_connections_that_never_finish_their_headers_are_closed() -> None:
    with _serve({"RLVR_HEADER_TIMEOUT_S": "1"}) as (_, url):
        idle = [socket.create_connection(_address(url)) for _ in range(50)]  # nothing sent at all
        partial = [socket.create_connection(_address(url)) for _ in range(50)]
        for sock in partial:
            sock.sendall(PARTIAL)
        kept_alive = socket.create_connection(_address(url))  # one answered request, then half of another
        kept_alive.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert kept_alive.recv(4096).startswith(b"HTTP/1.1 200")
        kept_alive.sendall(PARTIAL + b"Host: x\r\n")
        sockets = [*idle, *partial, kept_alive]
        try:
            deadline = time.monotonic() + 15  # the timeout is 1 s: generous, for a loaded machine
            open_ = list(sockets)
            while open_:
                assert time.monotonic() < deadline, f"{len(open_)} of {len(sockets)} connections are still open"
                open_ = [s for s in open_ if not _closed_by_server(s)]
                time.sleep(0.05)
        finally:
            for sock in sockets:
                sock.close()


def test_a_slow_client_that_completes_its_headers_in_time_is_served() -> None:
    with _serve({"RLVR_HEADER_TIMEOUT_S": "5"}) as (_, url), socket.create_connection(_address(url)) as sock:
        for piece in (PARTIAL, b"Host: x\r\n", b"\r\n"):
            sock.sendall(piece)
            time.sleep(0.2)
        sock.settimeout(10)
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")


def test_endless_headers_are_refused_after_16_kib_not_buffered() -> None:
    with _serve({}) as (_, url), socket.create_connection(_address(url)) as sock:
        sock.settimeout(10)
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nX-Pad: " + b"a" * (32 << 20))
        except OSError:  # the server answered and closed while we were still writing: a reset
            return
        assert sock.recv(4096).startswith(b"HTTP/1.1 4")  # never reached while it reads it all


class _Attacker(threading.Thread):
    """Opens header-less connections as fast as it can, keeping the newest `keep` open, until stopped."""

    def __init__(self, url: str, keep: int) -> None:
        super().__init__(daemon=True)
        self.address, self.keep = _address(url), keep
        self.opened = 0
        self.stop = threading.Event()

    def run(self) -> None:
        held: deque[socket.socket] = deque()
        try:
            while not self.stop.is_set():
                try:
                    sock = socket.create_connection(self.address, timeout=2)
                    sock.sendall(PARTIAL)
                except OSError:
                    continue  # refused or reset while the server sheds: try again
                held.append(sock)
                self.opened += 1
                while len(held) > self.keep:
                    held.popleft().close()
        finally:
            for sock in held:
                sock.close()


def test_healthz_answers_while_an_attacker_holds_all_the_connections_it_can() -> None:
    """Issue 20, item 2, at a lower scale: 300 open files, 3 x 300 header-less connections opened."""
    open_files = 300
    env = {"RLVR_BACKLOG": "32", "RLVR_MAX_CONCURRENT_REQUESTS": "8", "RLVR_WORKERS": "1", "RLVR_SPARE_WORKERS": "1"}
    with _serve(env, open_files) as (pid, url):
        with open(f"/proc/{pid}/limits") as f:
            assert f"Max open files            {open_files}" in f.read()
        attacker = _Attacker(url, keep=2 * open_files)
        attacker.start()
        statuses: list[int | str] = []
        most_open = 0
        deadline = time.monotonic() + 120
        try:
            while attacker.opened < 3 * open_files or len(statuses) < 30:
                assert time.monotonic() < deadline, f"attacker opened {attacker.opened}, {len(statuses)} probes"
                try:
                    statuses.append(httpx.get(f"{url}/healthz", timeout=5).status_code)
                except httpx.HTTPError as exc:
                    statuses.append(type(exc).__name__)
                most_open = max(most_open, _open_files(pid))
        finally:
            attacker.stop.set()
            attacker.join()
    assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    assert most_open < open_files


@pytest.mark.parametrize(
    ("open_files", "overrides", "limit"),
    [
        (1_048_576, {}, 1024),  # the setting binds
        (1024, {}, 1024 - 128 - (64 + 4 * 4 + 64)),  # the open files bind: 752
        (300, {"backlog": 32, "max_concurrent_requests": 8, "workers": 1, "spare_workers": 1}, 300 - 32 - 80),
    ],
)
def test_idle_connections_are_bounded_below_the_open_file_limit(open_files: int, overrides: dict, limit: int) -> None:
    from rlvr.services.runtime.connections import idle_connection_limit

    assert idle_connection_limit(Settings(**overrides), open_files) == limit


def test_an_open_file_limit_with_no_room_for_connections_is_refused() -> None:
    from rlvr.services.runtime.connections import idle_connection_limit

    with pytest.raises(ValueError, match="open-file limit of 200"):
        idle_connection_limit(Settings(), 200)
