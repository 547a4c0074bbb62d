"""The SageMaker inference contract on a real server: GET /ping, POST /invocations answer as /score does."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from rlvr.services.runtime import Settings, create_app
from tests.conftest import TOKEN, running_server

AUTH = {"Authorization": f"Bearer {TOKEN}"}
ITEMS = [
    {"id": "a", "completion": "9 * 2 = 18\n#### The final answer is 18", "reference": "#### 18"},
    {"id": "b", "completion": "#### 17", "reference": "18"},
]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    settings = Settings(api_token=TOKEN, verifiers=["gsm8k", "math"], max_items=4, max_body_bytes=64 * 1024, workers=1)
    with running_server(create_app(settings)) as base:
        yield base


def test_ping_answers_200_once_ready(url: str) -> None:
    reply = httpx.get(f"{url}/ping", timeout=2)  # SageMaker's ping timeout
    assert reply.status_code == 200


def test_invocations_answers_exactly_what_score_answers(url: str) -> None:
    body = {"verifier": "gsm8k", "request_id": "r1", "items": ITEMS}
    invoked = httpx.post(f"{url}/invocations", json=body, headers=AUTH, timeout=30)
    scored = httpx.post(f"{url}/score", json=body, headers=AUTH, timeout=30)
    assert invoked.status_code == scored.status_code == 200
    assert invoked.json() == scored.json()
    assert [r["reward"] for r in invoked.json()["results"]] == [1.5, 0.5]


def test_the_body_verifier_field_picks_the_verifier(url: str) -> None:
    body = {"verifier": "math", "items": [{"completion": "\\boxed{\\frac{1}{2}}", "reference": "0.5"}]}
    reply = httpx.post(f"{url}/invocations", json=body, headers=AUTH, timeout=30)
    assert reply.json()["verifier"]["name"] == "math"
    assert reply.json()["results"][0]["reward"] == 1.5


@pytest.mark.parametrize(
    ("body", "headers", "status", "error"),
    [
        ({"verifier": "gsm8k", "items": ITEMS}, {}, 401, "token"),
        ({"verifier": "gsm8k", "items": ITEMS * 3}, AUTH, 413, "exceed the limit of 4"),
        ({"verifier": "gsm8k", "items": "x"}, AUTH, 422, "malformed request"),
        ({"items": ITEMS}, AUTH, 422, "verifier"),  # two hosted: the body must name one
        ({"verifier": "gsm8k", "items": [{"completion": "x" * 70_000, "reference": "1"}]}, AUTH, 413, "limit"),
    ],
    ids=["no-token", "too-many-items", "malformed", "ambiguous-verifier", "body-too-large"],
)
def test_invocations_refuses_as_score_does(url: str, body: dict, headers: dict, status: int, error: str) -> None:
    invoked = httpx.post(f"{url}/invocations", json=body, headers=headers, timeout=30)
    scored = httpx.post(f"{url}/score", json=body, headers=headers, timeout=30)
    assert invoked.status_code == scored.status_code == status
    assert invoked.json() == scored.json()
    assert error in str(invoked.json())


def test_custom_attributes_ask_for_the_verifier_listing(url: str) -> None:
    headers = {"X-Amzn-SageMaker-Custom-Attributes": "rlvr=verifiers"}
    reply = httpx.post(f"{url}/invocations", content=b"{}", headers=headers, timeout=30)
    assert reply.status_code == 200
    assert reply.json() == httpx.get(f"{url}/verifiers").json()
