"""Hardening: no model output, client or verifier bug can stall, crash or silently mislead the service.

Everything runs against real uvicorn servers on 127.0.0.1 (in a thread, or `rlvr serve` in its own
process where memory is the subject; signals: tests/test_shutdown.py). Time bounds are generous: they catch hangs
and quadratic blow-ups, not noise; the figures live in benchmarks/bench_hardening.py.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest

from rlvr.services.runtime import Settings
from rlvr.testing.polling import metric_value, wait_until
from rlvr.testing.processes import peak_rss_bytes, serve_process

PROCESS_PLUGIN = "tests.plugins.misbehaving:MisbehavingVerifier"
INLINE_PLUGIN = "tests.plugins.misbehaving:InlineMisbehavingVerifier"
MALFORMED = [
    # command -> the field the error must name
    ("none_flags", "flags"),
    ("nan", "components['ok']"),
    ("inf", "components['ok']"),
    ("unknown_component", "components"),
    ("missing_component", "components"),
    ("string_component", "components['ok']"),
    ("int_answer", "answer"),
    ("long_flag", "flags"),
    ("not_a_verdict", "components"),
]


def _post(url: str, body: dict, timeout: float = 60) -> httpx.Response:
    return httpx.post(f"{url}/score", json=body, timeout=timeout)


def _items(*completions: str) -> list[dict[str, str]]:
    return [{"completion": c, "reference": "1"} for c in completions]


@pytest.mark.parametrize("plugin", [INLINE_PLUGIN, PROCESS_PLUGIN], ids=["inline", "process"])
def test_malformed_verdicts_become_error_items_naming_verifier_and_field(serve, plugin: str) -> None:
    url = serve(Settings(verifiers=[plugin], workers=1))
    commands = [command for command, _ in MALFORMED]
    reply = _post(url, {"items": _items("fine", *commands, "raise", "after")})
    assert reply.status_code == 200, reply.text
    first, *bad, raised, last = reply.json()["results"]
    assert (first["status"], first["reward"]) == ("scored", 1.0)
    assert (last["status"], last["reward"]) == ("scored", 1.0)
    assert raised["status"] == "error" and "RuntimeError" in raised["error"]
    for result, (command, field) in zip(bad, MALFORMED, strict=True):
        assert (result["status"], result["reward"]) == ("error", None), command
        assert "invalid_verdict" in result["flags"], command
        assert "misbehaving" in result["error"] and field in result["error"], (command, result["error"])


def test_no_scored_result_ever_has_a_null_reward(serve) -> None:
    url = serve(Settings(verifiers=[INLINE_PLUGIN]))
    commands = ["fine", *[c for c, _ in MALFORMED]] * 3  # well-formed verdicts among the malformed ones
    results = _post(url, {"items": _items(*commands)}).json()["results"]
    scored = [r for r in results if r["status"] == "scored"]
    assert len(scored) == commands.count("fine")  # the check below runs over real scored results
    assert all(r["reward"] is not None for r in scored)


def test_empty_token_means_no_token(serve) -> None:
    url = serve(Settings(api_token=""))
    reply = _post(url, {"items": [{"completion": "#### 18", "reference": "18"}]})
    assert reply.status_code == 200
    assert reply.json()["results"][0]["reward"] == 1.5


def _raw_post(url: str, body: bytes, headers: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, bytes]:
    """POST the whole body before reading anything, as urllib and `requests` do."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("POST", "/score", body=body, headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_oversized_body_is_a_413_a_write_first_client_can_read(serve) -> None:
    url = serve(Settings(max_body_bytes=64 * 1024))
    body = json.dumps({"items": _items("x" * (8 * 1024 * 1024))}).encode()
    status, answer = _raw_post(url, body)
    assert status == 413
    assert b"exceeds the limit" in answer


def test_unauthorised_big_body_is_a_401_a_write_first_client_can_read(serve) -> None:
    url = serve(Settings(api_token="t"))
    status, _ = _raw_post(url, json.dumps({"items": _items("x" * (4 * 1024 * 1024))}).encode())
    assert status == 401


def test_bodies_over_the_inflight_budget_wait_as_429(serve) -> None:
    url = serve(Settings(verifiers=[INLINE_PLUGIN], max_body_bytes=100_000, max_inflight_bytes=150_000))
    slow = {"items": _items(*["slow"] * 10), "padding": "x" * 90_000}
    holder = threading.Thread(target=_post, args=(url, slow))
    holder.start()
    wait_until(lambda: metric_value(url, "rlvr_inflight_score_requests") == 1, what="the slow request admitted")
    try:
        reply = _post(url, {"items": _items("a"), "padding": "x" * 90_000})
        assert reply.status_code == 429
        assert "budget" in reply.json()["error"] and reply.headers["retry-after"] == "1"
    finally:
        holder.join()
    assert _post(url, {"items": _items("a"), "padding": "x" * 90_000}).status_code == 200


@pytest.mark.parametrize("plugin", [INLINE_PLUGIN, PROCESS_PLUGIN], ids=["inline", "process"])
def test_request_deadline_bounds_the_answer(serve, plugin: str) -> None:
    url = serve(Settings(verifiers=[plugin], workers=1, item_deadline_s=30))
    started = time.monotonic()
    reply = _post(url, {"deadline_s": 1.0, "items": _items(*["slow"] * 40)})
    elapsed = time.monotonic() - started
    assert reply.status_code == 200
    statuses = [r["status"] for r in reply.json()["results"]]
    assert elapsed < 1.0 + 0.5, elapsed
    assert 1 <= statuses.count("scored") < 40
    assert set(statuses[statuses.count("scored") :]) == {"timeout"}
    late = reply.json()["results"][-1]
    assert late["reward"] is None and "deadline_exceeded" in late["flags"]


def test_service_default_deadline_applies_without_one_in_the_body(serve) -> None:
    url = serve(Settings(verifiers=[INLINE_PLUGIN], request_deadline_s=0.5))
    started = time.monotonic()
    statuses = [r["status"] for r in _post(url, {"items": _items(*["slow"] * 20)}).json()["results"]]
    assert time.monotonic() - started < 1.5
    assert statuses[-1] == "timeout"


def test_hung_pool_item_does_not_outlive_the_request_deadline(serve) -> None:
    url = serve(Settings(verifiers=[PROCESS_PLUGIN], workers=1, item_deadline_s=60))
    started = time.monotonic()
    results = _post(url, {"deadline_s": 1, "items": _items("a", "hang", "b")}).json()["results"]
    assert time.monotonic() - started < 2.0
    assert [r["status"] for r in results] == ["scored", "timeout", "timeout"]


def _disconnect_after(url: str, body: dict, seconds: float) -> None:
    parts = urlsplit(url)
    payload = json.dumps(body).encode()
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        head = f"POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: {len(payload)}\r\n\r\n"
        sock.sendall(head.encode() + payload)
        time.sleep(seconds)


def test_disconnected_client_work_is_dropped(serve) -> None:
    url = serve(Settings(verifiers=[INLINE_PLUGIN], request_deadline_s=120))
    _disconnect_after(url, {"items": _items(*["slow"] * 100)}, 0.5)  # 20 s of work abandoned
    started = time.monotonic()
    reply = _post(url, {"items": _items("a")})
    assert reply.status_code == 200
    assert time.monotonic() - started < 2.0  # the inline thread is not still working for nobody
    deadline = time.monotonic() + 5
    while "rlvr_client_disconnects_total 1.0" not in httpx.get(f"{url}/metrics").text:
        assert time.monotonic() < deadline, "the disconnect was not counted"
        time.sleep(0.1)


def test_slow_writer_does_not_block_others(serve) -> None:
    url = serve(Settings())
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(b'POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{"items": [')
        reply = _post(url, {"items": [{"completion": "#### 1", "reference": "1"}]}, timeout=5)
        assert reply.status_code == 200


def test_a_stalled_body_holds_nothing_and_times_out(serve) -> None:
    """Two sockets that declare 32 MiB and send nothing: others are still served; they get 408."""
    url = serve(Settings(body_timeout_s=1.0))
    parts = urlsplit(url)
    stalled = []
    for _ in range(2):
        sock = socket.create_connection((parts.hostname, parts.port))
        sock.sendall(f"POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: {32 << 20}\r\n\r\n{{".encode())
        stalled.append(sock)
    try:
        reply = _post(url, {"items": [{"completion": "#### 1", "reference": "1"}]}, timeout=5)
        assert reply.status_code == 200  # no budget reserved for bytes that never came
        for sock in stalled:
            sock.settimeout(10)
            answer = sock.recv(4096)
            while b"}" not in answer and (more := sock.recv(4096)):
                answer += more
            assert answer.startswith(b"HTTP/1.1 408") and b"(RLVR_BODY_TIMEOUT_S)" in answer, answer
    finally:
        for sock in stalled:
            sock.close()


def test_seeded_junk_bodies_never_yield_5xx(service_url: str) -> None:
    rng = random.Random(1234)
    fragments = [b"{", b"}", b"[", b"]", b'"items"', b":", b",", b'"completion"', b'"reference"', b"null",
                 b"1e999999", b"-0", b'"\\ud800"', b"\x00", b"\xff\xfe", b'"deadline_s"', b"{}" * 50]  # fmt: skip
    with httpx.Client(base_url=service_url, headers={"Authorization": "Bearer test-token"}, timeout=30) as client:
        for _ in range(1000):
            body = b"".join(rng.choice(fragments) for _ in range(rng.randint(0, 40)))
            reply = client.post("/score", content=body, headers={"Content-Type": "application/json"})
            assert reply.status_code < 500, (body, reply.text)


def test_healthz_answers_while_hostile_items_are_scored(serve) -> None:
    url = serve(Settings(max_body_bytes=64 * 1024 * 1024, max_inflight_bytes=64 * 1024 * 1024))
    # The slowest scan left (docs/results.md): a reference of 4 MiB of `-`, about 1.5 s each.
    hostile = {"items": [{"completion": "#### 1", "reference": "-" * (4 << 20)}] * 2}
    worker = threading.Thread(target=_post, args=(url, hostile, 120))
    worker.start()
    latencies = []
    with httpx.Client(base_url=url, timeout=10) as client:
        while worker.is_alive() or len(latencies) < 20:
            started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            latencies.append(time.perf_counter() - started)
            time.sleep(0.01)
    worker.join()
    latencies.sort()
    assert latencies[int(len(latencies) * 0.99) - 1] < 0.5, latencies[-5:]


def test_peak_memory_under_the_worst_admitted_load_fits_the_pod_limit() -> None:
    """Defaults: 32 MiB bodies, 64 MiB in flight; the k8s gsm8k pod is limited to 512 Mi."""
    with serve_process({"RLVR_VERIFIERS": "gsm8k"}) as (proc, url):
        body = json.dumps({"items": [{"completion": "#### 1 " * 350_000, "reference": "1"}] * 12}).encode()
        assert 28 * 2**20 < len(body) <= 32 * 2**20
        statuses: list[int] = []
        threads = [
            threading.Thread(target=lambda: statuses.append(_raw_post(url, body, timeout=120)[0])) for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        peak = peak_rss_bytes(proc.pid)
    assert 200 in statuses and set(statuses) <= {200, 429}, statuses  # the budget admits two at most
    assert peak < 512 * 2**20, f"peak RSS of the server and its workers: {peak / 2**20:.0f} MiB"


def test_a_verdict_whose_reward_overflows_is_invalid() -> None:
    from rlvr.services.verifiers.base import Verdict, Verifier
    from rlvr.services.verifiers.outcome import score_one

    class Overflowing(Verifier):
        name, version, components = "overflowing", "0", {"a": 1.0, "b": 1.0}

        def score(self, completion: str, reference: str) -> Verdict:
            return Verdict(components={"a": 1e308, "b": 1e308})  # each finite, the sum not

    outcome = score_one(Overflowing(), "x", "1")
    assert outcome.status == "error" and "sum" in (outcome.error or "") and outcome.flags == ("invalid_verdict",)


def test_dedup_runs_each_pair_once_and_a_failing_hook_costs_nothing(serve) -> None:
    # identical items are scored once and fanned out; a raising dedup_key only turns dedup off
    url = serve(Settings(verifiers=["tests.plugins.misbehaving:BrokenHooksVerifier"]))
    reply = _post(url, {"items": _items("a", "a", "b", "a")})
    assert [r["answer"] for r in reply.json()["results"]] == ["a", "a", "b", "a"]
    assert 'rlvr_deduplicated_items_total{verifier="broken-hooks"} 2.0' in httpx.get(f"{url}/metrics").text
    reply = _post(url, {"items": _items("bad-hook", "a", "a")})
    assert reply.status_code == 200 and [r["status"] for r in reply.json()["results"]] == ["scored"] * 3
