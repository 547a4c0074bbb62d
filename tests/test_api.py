"""Protocol v1 over HTTP, against a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import json
import random

import httpx

from rlvr.services.protocol import ScoreResponse
from rlvr.services.runtime import Settings
from rlvr.testing.polling import metric_value, wait_until
from tests.conftest import TOKEN


def test_score_follows_protocol_v1(client: httpx.Client) -> None:
    body = {
        "request_id": "req-1",
        "items": [
            {"id": "a", "completion": "... #### 18", "reference": "18"},
            {
                "id": "b",
                "completion": "#### 17",
                "reference": "#### 18",
                "prompt": "q",
                "group_id": "g",
                "metadata": {"k": 1},
            },
            {"completion": "no answer", "reference": "18"},
        ],
    }
    reply = client.post("/score", json=body)
    assert reply.status_code == 200
    data = ScoreResponse.model_validate(reply.json())
    assert data.request_id == "req-1"
    assert (data.verifier.name, data.verifier.version) == ("gsm8k", "1.2.0")
    assert [r.id for r in data.results] == ["a", "b", "2"]
    assert [r.reward for r in data.results] == [1.5, 0.5, 0.0]
    assert data.results[0].components == {"format": 0.5, "correctness": 1.0}
    assert data.results[0].answer == "18"
    assert data.results[2].flags == ["no_answer"]


def test_reward_is_null_when_the_item_cannot_be_scored(client: httpx.Client) -> None:
    reply = client.post("/score", json={"items": [{"completion": "#### 1", "reference": "no number here"}]})
    result = reply.json()["results"][0]
    assert (result["status"], result["reward"]) == ("error", None)
    assert "reference" in result["error"]


def test_numeric_reference_and_id_are_accepted(client: httpx.Client) -> None:
    reply = client.post("/score", json={"items": [{"id": 7, "completion": "#### 18", "reference": 18}]})
    assert reply.json()["results"][0] | {"id": "7", "reward": 1.5} == reply.json()["results"][0]


def test_named_verifier(client: httpx.Client) -> None:
    ok = client.post("/score", json={"verifier": "gsm8k", "items": [{"completion": "#### 1", "reference": "1"}]})
    assert ok.status_code == 200
    unknown = client.post("/score", json={"verifier": "nope", "items": [{"completion": "x", "reference": "1"}]})
    assert unknown.status_code == 422
    assert "gsm8k" in unknown.json()["error"]


def test_missing_token_is_401(service_url: str) -> None:
    reply = httpx.post(f"{service_url}/score", json={"items": [{"completion": "x", "reference": "1"}]})
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"] == "Bearer"


def test_wrong_token_is_401(service_url: str) -> None:
    reply = httpx.post(
        f"{service_url}/score",
        json={"items": [{"completion": "x", "reference": "1"}]},
        headers={"Authorization": f"Bearer {TOKEN}x"},
    )
    assert reply.status_code == 401


def test_oversized_body_is_413(client: httpx.Client) -> None:
    reply = client.post("/score", json={"items": [{"completion": "x" * 300_000, "reference": "1"}]})
    assert reply.status_code == 413
    assert "limit" in reply.json()["error"]


def test_too_many_items_is_413(client: httpx.Client) -> None:
    reply = client.post("/score", json={"items": [{"completion": "x", "reference": "1"}] * 65})
    assert reply.status_code == 413
    assert "65 items" in reply.json()["error"]


def test_malformed_bodies_are_422(client: httpx.Client) -> None:
    for body in [b"", b"{", b"[]", b'{"items": []}', b'{"items": [{"completion": 1}]}', b'{"items": "x"}']:
        reply = client.post("/score", content=body, headers={"Content-Type": "application/json"})
        assert reply.status_code == 422, body
        assert reply.json()["error"]


def test_overload_is_429_with_retry_after(serve) -> None:
    url = serve(Settings(max_concurrent_requests=1, retry_after_s=3))
    # Hold the only slot with a request whose body arrives slowly.
    import threading
    import time

    def slow_body():
        yield b'{"items": [{"completion": "#### 1", '
        time.sleep(1.0)
        yield b'"reference": "1"}]}'

    holder = threading.Thread(
        target=lambda: httpx.post(f"{url}/score", content=slow_body(), headers={"Content-Type": "application/json"})
    )
    holder.start()
    wait_until(lambda: metric_value(url, "rlvr_inflight_score_requests") == 1, what="the slow request admitted")
    reply = httpx.post(f"{url}/score", json={"items": [{"completion": "x", "reference": "1"}]})
    holder.join()
    assert reply.status_code == 429
    assert reply.headers["retry-after"] == "3"


def test_health_ready_verifiers_docs(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    hosted = client.get("/verifiers").json()["verifiers"]
    assert hosted[0]["name"] == "gsm8k"
    assert hosted[0]["components"] == {"format": 0.5, "correctness": 1.0}
    assert client.get("/docs").status_code == 200
    assert "/score" in client.get("/openapi.json").json()["paths"]


def test_metrics_count_items_flags_and_components(client: httpx.Client) -> None:
    client.post("/score", json={"items": [{"completion": "#### 18, 20", "reference": "18"}]})
    text = client.get("/metrics").text
    assert 'rlvr_items_total{status="scored",verifier="gsm8k"}' in text
    assert 'rlvr_flags_total{flag="multiple_numbers",verifier="gsm8k"}' in text
    assert 'rlvr_reward_component_bucket{component="format"' in text
    assert 'rlvr_requests_total{code="200",route="/score"}' in text
    assert 'rlvr_request_latency_seconds_bucket{le="0.001",route="/score"}' in text


def _junk(rng: random.Random) -> bytes:
    atoms = [None, True, 1, -1.5, "", "x", "#### 18", "\u0000", "\ud800", [], {}, 10**30]
    keys = ["items", "verifier", "request_id", "completion", "reference", "id", "metadata", "prompt"]

    def value(depth: int):
        kind = rng.random()
        if depth > 3 or kind < 0.4:
            return rng.choice(atoms)
        if kind < 0.7:
            return [value(depth + 1) for _ in range(rng.randint(0, 4))]
        return {rng.choice(keys): value(depth + 1) for _ in range(rng.randint(0, 4))}

    choice = rng.random()
    if choice < 0.2:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200)))
    if choice < 0.3:
        return json.dumps(value(0)).encode()[: rng.randint(0, 50)]
    strings = ["", "#### 18", "\\boxed{1", "\u0000#### 1", "\ud800", "9" * 5000, "<answer>2</answer>"]

    def text():
        return rng.choice(strings) if rng.random() < 0.8 else value(2)

    body = {"items": [{"completion": text(), "reference": text(), "id": value(3)} for _ in range(rng.randint(0, 3))]}
    if rng.random() < 0.5:
        body = value(0) if rng.random() < 0.3 else body
    return json.dumps(body, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")


def test_300_junk_bodies_never_5xx(client: httpx.Client) -> None:
    rng = random.Random(1234)
    codes = set()
    for _ in range(300):
        reply = client.post("/score", content=_junk(rng), headers={"Content-Type": "application/json"})
        codes.add(reply.status_code)
        assert reply.status_code < 500, reply.text
    assert 422 in codes and 200 in codes
