"""SIGTERM: every request in flight is answered 200 before the grace ends (what was not judged comes back
`timeout`), a body still arriving gets 503, new connections are refused, and the workers are reaped.

Each test runs `rlvr serve` in its own process (signals are the subject) on 127.0.0.1, with a short grace
so that it ends in seconds; the request deadline (30 s by default) outlives that grace on purpose.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest

from rlvr.services.runtime import Settings
from rlvr.testing.polling import wait_until
from rlvr.testing.processes import child_pids, serve_process

PROCESS_PLUGIN = "tests.plugins.misbehaving:MisbehavingVerifier"
INLINE_PLUGIN = "tests.plugins.misbehaving:InlineMisbehavingVerifier"
GRACE_S = 4  # the service stops scoring 2 s (RLVR_SHUTDOWN_GRACE_S less its answer reserve) after SIGTERM
PLUGINS = {"PYTHONPATH": os.getcwd()}


def _post(url: str, body: dict, answers: list[httpx.Response], timeout: float = 60) -> None:
    answers.append(httpx.post(f"{url}/score", json=body, timeout=timeout))


def _wait_inflight(url: str, count: int, timeout_s: float = 30) -> None:
    """Poll /metrics until `count` scoring requests are admitted (then their bodies are being read or scored)."""
    deadline = time.monotonic() + timeout_s
    while f"rlvr_inflight_score_requests {count:.1f}" not in httpx.get(f"{url}/metrics", timeout=5).text:
        assert time.monotonic() < deadline, f"{count} requests never were in flight together"
        time.sleep(0.02)


def _started(pid: int) -> str | None:
    """The process's start time (clock ticks since boot): a pid the kernel reused has another."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None


def _alive(pid: int, started: str | None) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z" and fields[19] == started


def _assert_all_gone(children: dict[int, str | None], timeout_s: float = 10) -> None:
    """Every child ends soon after the service: workers are reaped before it exits, and multiprocessing's
    resource tracker (also a child) ends when it reads EOF from the parent that just died."""
    survivors = lambda: [pid for pid, started in children.items() if _alive(pid, started)]  # noqa: E731
    with contextlib.suppress(TimeoutError):
        wait_until(lambda: not survivors(), timeout_s=timeout_s, what="every child gone")
    assert not survivors(), [_cmdline(pid) for pid in survivors()]


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")[:200]
    except OSError:
        return f"{pid} (gone)"


def _terminate(proc: subprocess.Popen[bytes], url: str) -> None:
    """SIGTERM; new connections are refused at once (uvicorn closes its listener first)."""
    proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 5
    while True:
        try:
            httpx.get(f"{url}/healthz", timeout=2)
        except httpx.ConnectError:
            return
        except httpx.HTTPError:  # accepted just before the listener closed, then closed unanswered
            pass
        assert time.monotonic() < deadline, "the listener was not closed after SIGTERM"
        time.sleep(0.02)


def _items(completions: list[str]) -> list[dict[str, str]]:
    return [{"completion": c, "reference": "1"} for c in completions]


def _math_items(k: int, bomb: bool) -> list[dict[str, str]]:
    items = [{"completion": f"\\boxed{{{i}}}", "reference": str(i)} for i in range(k)]
    return items + ([{"completion": "\\boxed{10^{10^{9}}}", "reference": "1"}] if bomb else [])


def test_sigterm_answers_inflight_refuses_new_and_reaps_workers() -> None:
    env = {"RLVR_VERIFIERS": PROCESS_PLUGIN, "RLVR_WORKERS": "2"} | PLUGINS
    with serve_process(env) as (proc, url):
        children = {pid: _started(pid) for pid in child_pids(proc.pid)}
        assert len(children) >= 2  # workers and spares
        answers: list[httpx.Response] = []
        inflight = threading.Thread(target=_post, args=(url, {"items": _items(["slow"] * 10)}, answers))
        inflight.start()
        _wait_inflight(url, 1)
        started = time.monotonic()
        _terminate(proc, url)
        inflight.join()
        assert answers[0].status_code == 200  # 2 s of work: well inside the 20 s grace, all of it judged
        assert [r["status"] for r in answers[0].json()["results"]] == ["scored"] * 10
        assert proc.wait(timeout=25) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
        assert time.monotonic() - started < 25
    _assert_all_gone(children)


def _assert_cut_answer(reply: httpx.Response, count: int) -> list[str]:
    """A protocol-v1 answer whose unjudged items are labelled timeout by the shutdown."""
    assert reply.status_code == 200, reply.text[:300]
    results = reply.json()["results"]
    assert len(results) == count
    statuses = [r["status"] for r in results]
    assert set(statuses) <= {"scored", "timeout"}, set(statuses)
    for result in results:
        if result["status"] == "timeout":
            assert result["reward"] is None and result["error"], result
    return statuses


def test_sigterm_with_math_batches_in_flight_answers_each_before_the_grace_ends() -> None:
    """Issue 20, item 1: four clients, 3,000 items each (two with a SymPy bomb), SIGTERM while scoring."""
    env = {"RLVR_VERIFIERS": "math", "RLVR_SHUTDOWN_GRACE_S": str(GRACE_S)}
    with serve_process(env) as (proc, url):
        children = {pid: _started(pid) for pid in child_pids(proc.pid)}
        answers: list[httpx.Response] = []
        clients = [
            threading.Thread(target=_post, args=(url, {"items": _math_items(3000, bomb=k < 2)}, answers))
            for k in range(4)
        ]
        for client in clients:
            client.start()
        _wait_inflight(url, 4)
        _terminate(proc, url)
        for client in clients:
            client.join()
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
    assert [reply.status_code for reply in answers] == [200] * 4, [reply.text[:100] for reply in answers]
    statuses = [_assert_cut_answer(reply, len(reply.json()["results"])) for reply in answers]
    assert sorted(len(s) for s in statuses) == [3000, 3000, 3001, 3001]
    assert any("timeout" in s for s in statuses)  # the bombs alone hold a worker 5 s: longer than the 2 s left
    cut = [r for reply in answers for r in reply.json()["results"] if r["status"] == "timeout"]
    assert {"shutting_down"} <= {flag for r in cut for flag in r["flags"]}
    _assert_all_gone(children)


def test_sigterm_cuts_an_inline_batch_that_would_outlive_the_grace() -> None:
    env = {"RLVR_VERIFIERS": INLINE_PLUGIN, "RLVR_SHUTDOWN_GRACE_S": str(GRACE_S)} | PLUGINS
    with serve_process(env) as (proc, url):
        answers: list[httpx.Response] = []
        client = threading.Thread(target=_post, args=(url, {"items": _items(["slow"] * 100)}, answers))
        client.start()  # 20 s of work, a 30 s deadline, a 4 s grace
        _wait_inflight(url, 1)
        _terminate(proc, url)
        client.join()
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
    statuses = _assert_cut_answer(answers[0], 100)
    assert 1 <= statuses.count("scored") < 100 and statuses[-1] == "timeout"
    assert statuses == sorted(statuses)  # scored in order until the cut, then nothing judged
    assert "shutting_down" in answers[0].json()["results"][-1]["flags"]


def test_sigterm_answers_a_body_still_arriving_with_503_and_retry_after() -> None:
    env = {"RLVR_VERIFIERS": "gsm8k", "RLVR_SHUTDOWN_GRACE_S": str(GRACE_S)}
    with serve_process(env) as (proc, url):
        parts = urlsplit(url)
        with socket.create_connection((parts.hostname, parts.port)) as sock:
            sock.sendall(b'POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"items": [')
            _wait_inflight(url, 1)
            _terminate(proc, url)
            sock.settimeout(GRACE_S + 10)
            answer = _read_answer(sock)
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
    assert answer.startswith(b"HTTP/1.1 503"), answer[:200]
    assert b"retry-after:" in answer.lower() and b"shutting down" in answer


def _read_answer(sock: socket.socket) -> bytes:
    """The whole answer: the head and its Content-Length of body may arrive in separate reads."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")), 0
    )
    while len(body) < length and (chunk := sock.recv(4096)):
        body += chunk
    return head + b"\r\n\r\n" + body


@pytest.mark.parametrize(("grace_s", "scoring_s"), [(1, 0.0), (2, 0.0), (4, 2.0), (20, 18.0)])
def test_scoring_stops_the_answer_reserve_before_the_grace_ends(grace_s: int, scoring_s: float) -> None:
    assert Settings(shutdown_grace_s=grace_s).shutdown_scoring_s == scoring_s
