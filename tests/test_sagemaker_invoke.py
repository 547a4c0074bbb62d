"""The reward client over InvokeEndpoint: real boto3, a local SageMaker Runtime stand-in, a real verifier."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI, Request

from rlvr.client import Endpoint, RewardClient, RewardServiceError
from rlvr.client.sagemaker import SageMakerTransport, retryable
from rlvr.integrations.trl import reward_functions
from rlvr.services.protocol import ScoreItem, Status
from rlvr.services.runtime import Settings, create_app
from tests.conftest import require_module, running_server
from tests.plugins.parity import is_odd
from tests.sagemaker_standin import standin_app

require_module("boto3")

ITEMS = [
    ScoreItem(id="0", completion="#### 18", reference="18"),
    ScoreItem(id="1", completion="#### 17", reference="18"),
    ScoreItem(id="2", completion="nothing", reference="18"),
]


@pytest.fixture(autouse=True)
def dummy_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials and no config files: nothing here can sign for, or reach, a real account."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "dummy")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@contextmanager
def stack(settings: Settings) -> Iterator[tuple[str, object]]:
    """A verifier behind an InvokeEndpoint stand-in: the stand-in's URL and its state (faults, calls)."""
    with running_server(create_app(settings)) as verifier:
        app = standin_app(verifier)
        with running_server(app) as standin:
            yield standin, app.state


@pytest.fixture(scope="module")
def gsm8k() -> Iterator[tuple[str, object]]:
    with stack(Settings()) as running:
        yield running


def client(standin: str, max_body_bytes: int | None = None, **fields: object) -> RewardClient:
    options: dict = {"aws_region": "us-east-1", "aws_endpoint_url": standin} | fields
    endpoint = Endpoint(name="sm", url="sagemaker://rlvr-verifier", **options)
    transport = SageMakerTransport(endpoint, max_body_bytes) if max_body_bytes else None
    return RewardClient(endpoint, transport=transport, backoff_max_s=0.05)


def test_scores_through_invoke_endpoint_signed_for_sagemaker(gsm8k) -> None:
    standin, state = gsm8k
    state.calls.clear()
    results = asyncio.run(client(standin).score(ITEMS))
    assert [r.reward for r in results] == [1.5, 0.5, 0.0]
    assert state.calls == [{"name": "rlvr-verifier", "bytes": state.calls[0]["bytes"], "items": 3}]


@pytest.mark.parametrize(
    "faults",
    [["container_429", "container_429"], ["container_503"], ["throttling", "throttling"], ["unavailable"]],
    ids=["container-429-as-ModelError", "container-503-as-ModelError", "ThrottlingException", "ServiceUnavailable"],
)
def test_retries_what_a_later_attempt_can_fix(gsm8k, faults: list[str]) -> None:
    standin, state = gsm8k
    state.calls.clear()
    state.faults.extend(faults)
    sm = client(standin)
    results = asyncio.run(sm.score(ITEMS))
    assert [r.reward for r in results] == [1.5, 0.5, 0.0]
    assert sm.requests_sent == len(state.calls) == len(faults) + 1


def test_persistent_throttling_stops_at_the_deadline_naming_the_endpoint(gsm8k) -> None:
    standin, state = gsm8k
    state.faults.extend(["throttling"] * 1000)
    try:
        with pytest.raises(RewardServiceError, match=r"sagemaker://rlvr-verifier gave no usable answer.*Throttling"):
            asyncio.run(client(standin, deadline_s=0.3).score(ITEMS))
    finally:
        state.faults.clear()


def test_a_container_refusal_is_not_retried(gsm8k) -> None:
    standin, state = gsm8k
    state.calls.clear()
    sm = client(standin, verifier="nope")
    with pytest.raises(RewardServiceError, match=r"refused the batch: ModelError \(container 422\).*unknown verifier"):
        asyncio.run(sm.score(ITEMS))
    assert len(state.calls) == 1


def test_chunks_stay_under_the_body_limit_and_results_keep_their_order(gsm8k) -> None:
    standin, state = gsm8k
    state.calls.clear()
    items = [ScoreItem(id=str(i), completion=f"{'x' * 900} #### {i}", reference=str(i % 3)) for i in range(24)]
    huge = ScoreItem(id="huge", completion="y" * 9000, reference="1")
    results = asyncio.run(client(standin, max_body_bytes=8192).score([*items[:5], huge, *items[5:]]))
    assert [r.id for r in results] == [*[str(i) for i in range(5)], "huge", *[str(i) for i in range(5, 24)]]
    assert results[5].status == Status.ERROR and results[5].reward is None  # too big for one call: masked
    assert "body limit" in (results[5].error or "")
    assert all(r.status == Status.SCORED for r in results if r.id != "huge")
    assert len(state.calls) > 1 and all(call["bytes"] <= 8192 for call in state.calls)
    assert sum(call["items"] for call in state.calls) == 24


def test_describe_lists_the_verifiers_through_invocations(gsm8k) -> None:
    standin, _ = gsm8k
    (verifier,) = client(standin).describe().verifiers
    assert verifier.name == "gsm8k" and set(verifier.components) == {"format", "correctness"}


def test_items_the_service_cannot_score_are_none_for_trl() -> None:
    """Through the TRL reward functions, as the trainer builds them: an item that times out is masked."""
    settings = Settings(verifiers=["tests.plugins.parity:OddOnlyVerifier"], workers=1, item_deadline_s=0.3)
    with stack(settings) as (standin, _):
        endpoint = Endpoint("odd", "sagemaker://odd-only", aws_region="us-east-1", aws_endpoint_url=standin)
        (reward,) = reward_functions([endpoint]).funcs
        references = ["1", "2", "3", "4"]
        values = asyncio.run(reward(["a", "b", "c", "d"], reference=references))
        assert values == [0.75 if is_odd(r) else None for r in references]
        assert None in values and 0.75 in values


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "sagemaker://bad_name"}, "not a SageMaker endpoint name"),
        ({"url": "sagemaker://ok", "request_timeout_s": 90.0}, "60 s in which SageMaker must answer"),
        ({"url": "ftp://x"}, "http://, https://, sagemaker:// or inprocess://"),
    ],
    ids=["endpoint-name", "timeout-over-60s", "scheme"],
)
def test_the_recipe_refuses_a_bad_sagemaker_endpoint(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Endpoint(name="sm", **fields)


def test_the_deadline_bounds_an_attempt_that_never_answers() -> None:
    # an endpoint that accepts the call and never answers: the client gives up at its deadline
    release = threading.Event()
    app = FastAPI()

    @app.post("/endpoints/{name}/invocations")
    async def hang(name: str, request: Request) -> None:
        await asyncio.to_thread(release.wait, 30)

    with running_server(app) as standin:
        started = time.monotonic()
        with pytest.raises(RewardServiceError, match=r"gave no usable answer within 2s"):
            asyncio.run(client(standin, deadline_s=2.0, request_timeout_s=30.0).score(ITEMS))
        elapsed = time.monotonic() - started
        release.set()
    assert elapsed < 5  # the deadline (2 s) plus scheduling, not botocore's 40 s read timeout


def test_a_container_5xx_is_retried_like_the_http_client_does() -> None:
    def model_error(status: int) -> dict:
        return {
            "Error": {"Code": "ModelError"},
            "OriginalStatusCode": status,
            "ResponseMetadata": {"HTTPStatusCode": 424},
        }

    assert [retryable(model_error(s)) for s in (429, 500, 502, 503, 504)] == [True] * 5
    assert [retryable(model_error(s)) for s in (400, 401, 413, 422)] == [False] * 4
