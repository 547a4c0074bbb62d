"""The front door: verifiers hosted by other rlvr services (`name=URL`), routed per item, failing per item.

Upstreams are real services on 127.0.0.1 (or, for the faults no rlvr service makes on purpose,
small FastAPI apps that misbehave on cue); the front door never answers 5xx for them.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from rlvr.services.runtime import Settings
from rlvr.testing.polling import metric_value
from rlvr.testing.processes import serve_process
from tests.code_cases import STDIO, require_sandbox

GSM8K = [{"completion": "#### 18", "reference": "18"}, {"completion": "#### 17", "reference": "18"}]
MATH = [{"completion": "\\boxed{\\frac{1}{2}}", "reference": "0.5"}, {"completion": "\\boxed{3}", "reference": "4"}]
CODE = [{"completion": "a, b = map(int, input().split())\nprint(a + b)", "reference": STDIO}]
OURS = dict(GSM8K[0], verifier="gsm8k")  # judged by the front door itself
FAKE = [
    {"completion": "a", "reference": "b", "verifier": "fake"},
    {"completion": "c", "reference": "d", "verifier": "fake"},
]


def _post(url: str, body: dict, timeout: float = 60) -> httpx.Response:
    return httpx.post(f"{url}/score", json=body, timeout=timeout)


def _interleaved() -> list[dict]:
    tagged = [dict(i, verifier="gsm8k") for i in GSM8K] + [dict(i, verifier="math") for i in MATH]
    tagged += [dict(i, verifier="code") for i in CODE]
    order = [0, 2, 4, 1, 3]  # gsm8k, math, code, gsm8k, math
    return [dict(tagged[k], id=f"item-{k}") for k in order]


@pytest.fixture(scope="module")
def upstreams(serve_module) -> dict[str, str]:
    require_sandbox()
    return {
        "gsm8k": serve_module(Settings(verifiers=["gsm8k"], workers=1)),
        "math": serve_module(Settings(verifiers=["math"], workers=1)),
        "code": serve_module(Settings(verifiers=["code"], workers=1, request_deadline_s=60)),
    }


@pytest.fixture(scope="module")
def front(serve_module, upstreams: dict[str, str]) -> str:
    return serve_module(Settings(verifiers=[f"{n}={u}" for n, u in upstreams.items()], request_deadline_s=60))


def test_every_item_gets_exactly_the_verdict_its_own_service_gives(front: str, upstreams: dict[str, str]) -> None:
    items = _interleaved()
    reply = _post(front, {"items": items})
    assert reply.status_code == 200, reply.text
    results = reply.json()["results"]
    assert [r["id"] for r in results] == [i["id"] for i in items]
    for item, result in zip(items, results, strict=True):
        name = item["verifier"]
        direct = _post(upstreams[name], {"items": [{k: v for k, v in item.items() if k != "verifier"}]}).json()
        expected = direct["results"][0]
        assert {k: result[k] for k in expected} == expected, name
        assert result["verifier"] == direct["verifier"]


def test_the_front_door_lists_its_upstreams_verifiers(front: str, upstreams: dict[str, str]) -> None:
    listed = {v["name"]: v for v in httpx.get(f"{front}/verifiers").json()["verifiers"]}
    for name, url in upstreams.items():
        (own,) = httpx.get(f"{url}/verifiers").json()["verifiers"]
        assert (listed[name]["version"], listed[name]["components"]) == (own["version"], own["components"])
        assert listed[name]["isolation"] == "remote"
        assert listed[name]["details"] == {"upstream": url, "state": "up", "last_error": None}


def test_a_dead_upstream_costs_only_its_items_fast(serve) -> None:
    with serve_process({"RLVR_VERIFIERS": "math", "RLVR_WORKERS": "1"}) as (proc, math_url):
        front = serve(Settings(verifiers=["gsm8k", f"math={math_url}"]))
        body = {"items": [dict(GSM8K[0], verifier="gsm8k"), dict(MATH[0], verifier="math")]}
        assert [r["status"] for r in _post(front, body).json()["results"]] == ["scored", "scored"]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        started = time.monotonic()
        reply = _post(front, body)
        elapsed = time.monotonic() - started
    assert reply.status_code == 200
    gsm8k, math = reply.json()["results"]
    assert (gsm8k["status"], gsm8k["reward"]) == ("scored", 1.5)
    assert (math["status"], math["reward"]) == ("error", None) and math_url in math["error"]
    assert elapsed < 5  # refused connections fail at once, not at the deadline
    assert httpx.get(f"{front}/readyz").status_code == 200  # one dead verifier does not take the door out
    (listed,) = [v for v in httpx.get(f"{front}/verifiers").json()["verifiers"] if v["name"] == "math"]
    assert listed["details"]["state"] == "down"
    assert metric_value(front, "rlvr_upstream_requests_total", upstream="math", outcome="error") == 1


class FakeUpstream:
    """An rlvr-shaped upstream that misbehaves on cue, and remembers what it was sent."""

    def __init__(self) -> None:
        self.app = FastAPI()
        self.mode = "ok"
        self.seen: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.released = threading.Event()
        self.app.get("/verifiers")(self.verifiers)
        self.app.post("/score")(self.score)

    async def verifiers(self) -> dict:
        description = {"name": "fake", "version": "9.9.9", "components": {"ok": 1.0}, "isolation": "inline"}
        return {"protocol": "1", "verifiers": [description]}

    async def score(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.seen.append((dict(request.headers), body))
        results = [{"id": i["id"], "status": "scored", "reward": 1.0, "components": {"ok": 1.0}} for i in body["items"]]
        answer = {"request_id": body.get("request_id", ""), "verifier": {"name": "fake", "version": "9.9.9"}}
        if self.mode == "busy-once":
            self.mode = "ok"
            return Response(b'{"error": "busy"}', 429, headers={"Retry-After": "0"})
        if self.mode == "hang":  # the front door's deadline, not this server, must end the wait
            for _ in range(600):  # 30 s at most; the fixture releases it at teardown (the server waits for it)
                if self.released.is_set():
                    break
                await asyncio.sleep(0.05)
        shapes = {
            "5xx": Response(b"oops", 500),
            "malformed": Response(b'{"results": "nope"}', 200, media_type="application/json"),
            "short": Response(json.dumps(answer | {"results": results[:-1]}).encode(), 200),
        }
        return shapes.get(self.mode) or Response(json.dumps(answer | {"results": results}).encode(), 200)


@pytest.fixture
def fake(serve) -> Iterator[tuple[FakeUpstream, str]]:
    from rlvr.testing.servers import running_server

    upstream = FakeUpstream()
    with running_server(upstream.app) as url:
        front = serve(Settings(verifiers=["gsm8k", f"fake={url}"], upstream_token="up-secret"))
        yield upstream, front
        upstream.released.set()


@pytest.mark.parametrize(
    ("mode", "status", "words"),
    [("5xx", "error", "HTTP 500"), ("malformed", "error", "broke protocol v1"), ("short", "error", "1 results for 2")],
)
def test_a_broken_upstream_makes_its_items_unscored_and_leaves_the_others(fake, mode, status, words) -> None:
    upstream, front = fake
    upstream.mode = mode
    reply = _post(front, {"items": [OURS, *FAKE]})
    assert reply.status_code == 200
    first, *theirs = reply.json()["results"]
    assert (first["status"], first["reward"]) == ("scored", 1.5)
    for result in theirs:
        assert (result["status"], result["reward"]) == (status, None)
        assert words in result["error"] and "upstream http://127.0.0.1" in result["error"]


def test_an_upstream_that_never_answers_costs_its_items_the_deadline_only(fake) -> None:
    upstream, front = fake
    upstream.mode = "hang"
    started = time.monotonic()
    body = {
        "deadline_s": 1.5,
        "items": [dict(GSM8K[0], verifier="gsm8k"), {"completion": "a", "reference": "b", "verifier": "fake"}],
    }
    reply = _post(front, body)
    elapsed = time.monotonic() - started
    assert [r["status"] for r in reply.json()["results"]] == ["scored", "timeout"]
    assert 1.4 < elapsed < 4


def test_a_busy_upstream_is_retried_and_gets_the_request_id_deadline_and_token(fake) -> None:
    upstream, front = fake
    upstream.mode = "busy-once"
    body = {
        "request_id": "req-7",
        "deadline_s": 10,
        "items": [{"completion": "a", "reference": "b", "verifier": "fake"}],
    }
    result = _post(front, body).json()["results"][0]
    assert (result["status"], result["reward"]) == ("scored", 1.0)
    assert len(upstream.seen) == 2  # the 429, then the answer
    headers, sent = upstream.seen[-1]
    assert headers["authorization"] == "Bearer up-secret"
    assert sent["request_id"] == "req-7" and sent["verifier"] == "fake" and 0 < sent["deadline_s"] <= 10


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"not json", "broke protocol v1"),
        (b'{"results": {}}', "not a list"),
        (b'{"results": []}', "0 results for 1 items"),
        (b'{"results": [{"id": "7", "status": "scored", "components": {}}]}', "result id '7' where '0' was sent"),
        (b'{"results": [{"id": "0", "status": "maybe"}]}', "'maybe' is not a valid Status"),
        (b'{"results": [{"id": "0", "status": "scored", "components": {"a": "x"}}]}', "could not convert"),
        (b'{"results": [{"id": "0", "status": "scored", "components": {"a": 1e999}}]}', "broke protocol v1|non-finite"),
        (b'{"results": ["0"]}', "broke protocol v1"),
    ],
    ids=["not-json", "results-not-list", "too-few", "wrong-id", "bad-status", "bad-number", "infinite", "not-dict"],
)
def test_an_upstream_answer_that_is_not_protocol_v1_is_named(body: bytes, words: str) -> None:
    from rlvr.client.errors import RewardServiceError
    from rlvr.services.runtime.remote import outcomes_from

    with pytest.raises(RewardServiceError, match=words):
        outcomes_from(body, 1)
