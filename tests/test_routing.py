"""Items name their verifier: one request, several verifiers, each item judged by its own, in item order."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from rlvr.client import Endpoint, RewardClient
from rlvr.services.protocol import ScoreItem
from rlvr.services.runtime import Settings

MIXED = [
    {"id": "a", "completion": "#### 18", "reference": "18", "verifier": "gsm8k"},
    {"id": "b", "completion": "\\boxed{\\frac{1}{2}}", "reference": "0.5", "verifier": "math"},
    {"id": "c", "completion": "#### 7", "reference": "18"},  # the request's verifier
    {"id": "d", "completion": "\\boxed{x}", "reference": "x", "verifier": "math"},
]


@pytest.fixture(scope="module")
def two(serve_module) -> str:
    return serve_module(Settings(verifiers=["gsm8k", "math"], workers=1))


def _score(url: str, body: dict) -> httpx.Response:
    return httpx.post(f"{url}/score", json=body, timeout=60)


def _alone(url: str, item: dict, verifier: str) -> dict:
    body = {"verifier": verifier, "items": [{k: v for k, v in item.items() if k != "verifier"}]}
    return _score(url, body).json()["results"][0]


def test_a_mixed_request_gives_each_item_its_own_verifiers_verdict_in_order(two: str) -> None:
    reply = _score(two, {"verifier": "gsm8k", "items": MIXED})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert [r["id"] for r in body["results"]] == ["a", "b", "c", "d"]
    for item, result in zip(MIXED, body["results"], strict=True):
        judge = item.get("verifier", "gsm8k")
        assert result["verifier"]["name"] == judge
        alone = _alone(two, item, judge)
        assert {k: result[k] for k in alone} == alone  # exactly the verdict it gets on its own
    assert body["verifier"]["name"] == "gsm8k+math"


def test_a_request_for_one_verifier_gets_todays_response(two: str) -> None:
    body = _score(two, {"verifier": "math", "items": [MIXED[1], MIXED[3]]}).json()
    assert body["verifier"]["name"] == "math"
    assert all("verifier" not in r for r in body["results"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"items": [{"completion": "x", "reference": "1", "verifier": "nope"}]}, "unknown verifier 'nope' (item 0)"),
        ({"items": [{"completion": "x", "reference": "1"}]}, "item 0 names no verifier"),
        (
            {"verifier": "nope", "items": [{"completion": "x", "reference": "1"}]},
            "unknown verifier 'nope' (the request)",
        ),
    ],
    ids=["unknown-item-verifier", "none-named", "unknown-request-verifier"],
)
def test_unroutable_items_are_a_422_naming_the_item_and_the_hosted_verifiers(
    two: str, body: dict, message: str
) -> None:
    reply = _score(two, body)
    assert reply.status_code == 422
    assert message in reply.json()["error"] and "['gsm8k', 'math']" in reply.json()["error"]


def test_a_default_verifier_serves_requests_that_name_none(serve) -> None:
    url = serve(Settings(verifiers=["gsm8k", "math"], default_verifier="gsm8k", workers=1))
    result = _score(url, {"items": [{"completion": "#### 18", "reference": "18"}]}).json()["results"][0]
    assert (result["status"], result["reward"]) == ("scored", 1.5)


def test_a_default_that_is_not_hosted_stops_the_service_at_start() -> None:
    from rlvr.services.runtime.metrics import Metrics
    from rlvr.services.runtime.service import ScoringService

    with pytest.raises(ValueError, match="RLVR_DEFAULT_VERIFIER='code' is not hosted"):
        ScoringService(Settings(verifiers=["gsm8k"], default_verifier="code"), Metrics())


def test_the_in_process_transport_routes_items_as_the_service_does(two: str) -> None:
    items = [ScoreItem.model_validate(i) for i in MIXED]
    local = RewardClient(Endpoint(name="local", url="inprocess://gsm8k,math", verifier="gsm8k"))
    remote = RewardClient(Endpoint(name="remote", url=two, verifier="gsm8k", token_env=None))
    got_local, got_remote = asyncio.run(local.score(items)), asyncio.run(remote.score(items))
    assert [r.model_dump() for r in got_local] == [r.model_dump() for r in got_remote]
