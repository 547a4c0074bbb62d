"""Other trainers' protocols under the service's rules: the token in the URL or a header, the limits, and
clear 4xx for bodies that are not theirs; no body ever yields a 5xx."""

from __future__ import annotations

import json
import random

import httpx
import pytest

from rlvr.services.runtime import Settings
from tests.adapter_cases import nemo_body


@pytest.fixture(scope="module")
def token_url() -> str:
    from rlvr.services.runtime import create_app
    from rlvr.testing.servers import running_server

    app = create_app(Settings(api_token="s3cret-token", max_body_bytes=64 * 1024, max_items=16))
    with running_server(app) as url:
        yield url


ADAPTERS = [
    ("/adapters/openrlhf/gsm8k", {"query": ["P #### 1"], "prompts": ["P"], "labels": ["1"]}),
    ("/adapters/slime/gsm8k", {"prompt": "P", "response": "#### 1", "label": "1"}),
    ("/verify", nemo_body("#### 1", "1")),
]


@pytest.mark.parametrize(("path", "body"), ADAPTERS)
def test_adapters_need_the_token_in_the_url_or_a_header(token_url: str, path: str, body: dict) -> None:
    refused = httpx.post(f"{token_url}{path}", json=body)
    assert refused.status_code == 401 and "s3cret" not in refused.text
    wrong = httpx.post(f"{token_url}{path}?token=nope", json=body)
    assert wrong.status_code == 401 and "nope" not in wrong.text
    assert httpx.post(f"{token_url}{path}?token=s3cret-token", json=body).status_code == 200
    assert (
        httpx.post(f"{token_url}{path}", json=body, headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    )
    assert "s3cret" not in httpx.get(f"{token_url}/metrics").text  # nor in any label


def test_score_itself_takes_no_token_in_the_url(token_url: str) -> None:
    body = {"items": [{"completion": "#### 1", "reference": "1"}]}
    assert httpx.post(f"{token_url}/score?token=s3cret-token", json=body).status_code == 401


def test_odd_but_valid_nemo_gym_bodies_are_scored(token_url: str) -> None:
    for response in ({"output": 5}, {"output": [{"type": "message", "content": 7}]}, {}):
        reply = httpx.post(
            f"{token_url}/verify?token=s3cret-token", json={"response": response, "expected_answer": "1"}
        )
        assert reply.status_code == 200 and reply.json()["reward"] == 0.0  # no text: no answer
    big = {"response": {}, "expected_answer": "1", "task_id": 123456789012345678901234567890}
    echoed = httpx.post(f"{token_url}/verify?token=s3cret-token", json=big).json()
    assert echoed["task_id"] == 123456789012345678901234567890  # echoed exactly


def test_seeded_junk_bodies_never_yield_5xx_on_adapters(token_url: str) -> None:

    rng = random.Random(7)
    fragments = [b"{", b"}", b"[", b"]", b'"query"', b'"prompts"', b'"labels"', b'"response"', b'"label"',
                 b":", b",", b'"expected_answer"', b'"output"', b'"content"', b"null", b"1e999", b"NaN",
                 b'"x"', b"7"]  # fmt: skip
    paths = ["/adapters/openrlhf/gsm8k", "/adapters/slime/gsm8k", "/verify", "/seed_session"]
    with httpx.Client(base_url=token_url, timeout=30) as client:
        for _ in range(400):
            body = b"".join(rng.choice(fragments) for _ in range(rng.randint(0, 30)))
            reply = client.post(f"{rng.choice(paths)}?token=s3cret-token", content=body)
            assert reply.status_code < 500, (body, reply.text)


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/adapters/openrlhf/gsm8k", {"query": ["a", "b"], "prompts": ["a"], "labels": ["1"]}, 422),  # lengths differ
        ("/adapters/openrlhf/gsm8k", {"query": "not a list"}, 422),  # wrong type
        ("/adapters/openrlhf/gsm8k", {"query": ["q"] * 17, "prompts": ["q"] * 17, "labels": ["1"] * 17}, 413),  # items
        ("/adapters/openrlhf/nope", {"query": ["q"], "prompts": ["q"], "labels": ["1"]}, 422),  # unknown verifier
        ("/adapters/slime/gsm8k", {"prompt": "p"}, 422),  # no response
        ("/adapters/slime/gsm8k", {"response": "x" * 100_000, "label": "1"}, 413),  # body over the limit
        ("/verify", {"response": {"output": []}}, 422),  # no expected_answer
        ("/verify", [1, 2], 422),  # not an object
        ("/verify", {"response": {}, "expected_answer": None}, 422),  # a null reference
        ("/verify", {"response": {}, "expected_answer": {"a": 1}}, 422),  # an object as reference
        ("/verify", {"response": {}, "expected_answer": True}, 422),  # a boolean as reference
    ],
)
def test_bad_bodies_get_a_clear_4xx(token_url: str, path: str, body: object, status: int) -> None:
    reply = httpx.post(f"{token_url}{path}?token=s3cret-token", content=json.dumps(body))
    assert reply.status_code == status, reply.text
    assert reply.json()["error"]
