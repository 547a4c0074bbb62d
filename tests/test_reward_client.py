"""The trainer's reward client against real servers on 127.0.0.1: retries, masking, failures, sharing."""

from __future__ import annotations

import asyncio
import time

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from rlvr.client import RewardClient, RewardServiceError
from rlvr.integrations.trl import SharedBatch, component_reward_func
from rlvr.services.protocol import ScoreItem
from rlvr.services.runtime import Settings, create_app
from tests.conftest import TOKEN, free_port, running_server

ITEMS = [
    ScoreItem(id="0", completion="#### 18", reference="18"),
    ScoreItem(id="1", completion="#### 17", reference="18"),
    ScoreItem(id="2", completion="nothing", reference="18"),
]


def flaky_app(failures: int, status: int = 503, headers: dict[str, str] | None = None) -> FastAPI:
    """The real gsm8k service, but the first `failures` /score calls answer `status`."""
    app = create_app(Settings())
    calls = {"n": 0}

    @app.middleware("http")
    async def fail_first(request: Request, call_next):  # type: ignore[no-untyped-def]
        if request.url.path == "/score":
            calls["n"] += 1
            if calls["n"] <= failures:
                return Response("unavailable", status_code=status, headers=headers or {})
        return await call_next(request)

    app.state.calls = calls
    return app


def test_retries_503_then_returns_correct_rewards() -> None:
    app = flaky_app(failures=2)
    with running_server(app) as url:
        client = RewardClient(url, backoff_base_s=0.01, deadline_s=10)
        results = asyncio.run(client.score(ITEMS))
    assert [r.reward for r in results] == [1.5, 0.5, 0.0]
    assert app.state.calls["n"] == 3 and client.requests_sent == 3


def test_429_honours_retry_after() -> None:
    app = flaky_app(failures=1, status=429, headers={"Retry-After": "1"})
    with running_server(app) as url:
        client = RewardClient(url, backoff_base_s=0.0, deadline_s=10)
        started = time.monotonic()
        results = asyncio.run(client.score(ITEMS))
    assert time.monotonic() - started >= 1.0
    assert results[0].reward == 1.5


def test_service_down_fails_within_deadline_naming_endpoint() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    client = RewardClient(url, backoff_base_s=0.05, deadline_s=1.5)
    started = time.monotonic()
    with pytest.raises(RewardServiceError, match=url):
        asyncio.run(client.score(ITEMS))
    assert time.monotonic() - started < 5


def test_client_error_is_not_retried(service_url: str) -> None:
    client = RewardClient(service_url, token="wrong", deadline_s=10)
    with pytest.raises(RewardServiceError, match="401"):
        asyncio.run(client.score(ITEMS))
    assert client.requests_sent == 1


def test_wrong_result_count_is_rejected() -> None:
    app = FastAPI()

    @app.post("/score")
    async def short(_: Request) -> JSONResponse:
        result = {
            "id": "0",
            "status": "scored",
            "reward": 1.5,
            "components": {"format": 0.5, "correctness": 1.0},
        }
        return JSONResponse({"request_id": "r", "verifier": {"name": "gsm8k", "version": "1"}, "results": [result]})

    with running_server(app) as url, pytest.raises(RewardServiceError, match="1 results for 3 items"):
        asyncio.run(RewardClient(url).score(ITEMS))


def test_timeout_items_are_masked_as_none(serve) -> None:
    url = serve(Settings(verifiers=["tests.plugins.misbehaving:MisbehavingVerifier"], workers=1, item_deadline_s=0.5))
    client = RewardClient(url)
    func = component_reward_func({"m": SharedBatch(client, consumers=1)}, "m", "ok", "ok", log_status=False)
    rewards = asyncio.run(func(completions=["a", "hang", "b"], reference=["1", "1", "1"]))
    assert rewards == [1.0, None, 1.0]


def test_an_item_any_endpoint_could_not_score_is_none_for_every_function(serve, service_url: str) -> None:
    hang_url = serve(
        Settings(verifiers=["tests.plugins.misbehaving:MisbehavingVerifier"], workers=1, item_deadline_s=0.5)
    )
    gsm8k, flaky = RewardClient(service_url, token=TOKEN), RewardClient(hang_url)
    batches = {"gsm8k": SharedBatch(gsm8k, consumers=3), "flaky": SharedBatch(flaky, consumers=3)}
    funcs = [
        component_reward_func(batches, "gsm8k", "format", "gsm8k_format", log_status=True),
        component_reward_func(batches, "gsm8k", "correctness", "gsm8k_correctness", log_status=False),
        component_reward_func(batches, "flaky", "ok", "flaky_ok", log_status=True),
    ]
    logged: dict[str, float] = {}
    kwargs = {"completions": ["#### 18", "hang", "#### 17"], "reference": ["18", "18", "18"]}

    async def step() -> list[list[float | None]]:
        return await asyncio.gather(*(f(**kwargs, log_metric=logged.__setitem__) for f in funcs))

    fmt, cor, ok = asyncio.run(step())
    # gsm8k scored "hang" (format 0, correctness 0), but flaky timed out on it: no function may give it a value
    assert (fmt, cor, ok) == ([0.5, None, 0.5], [1.0, None, 0.0], [1.0, None, 1.0])
    assert (gsm8k.requests_sent, flaky.requests_sent) == (1, 1)  # still one request per endpoint per batch
    assert logged["reward_service/masked_frac"] == 1 / 3
    assert logged["reward_service/flaky/unscored_frac"] == 1 / 3
    assert logged["reward_service/gsm8k/unscored_frac"] == 0.0


def test_a_scored_result_missing_a_declared_component_stops_training(serve) -> None:
    app = FastAPI()

    @app.post("/score")
    async def score() -> JSONResponse:
        result = {"id": "0", "status": "scored", "reward": 0.5, "components": {"format": 0.5}}
        return JSONResponse({"request_id": "r", "verifier": {"name": "gsm8k", "version": "1"}, "results": [result]})

    with running_server(app) as url:
        func = component_reward_func({"g": SharedBatch(RewardClient(url), 1)}, "g", "correctness", "c", False)
        with pytest.raises(RewardServiceError, match="without its declared component 'correctness'"):
            asyncio.run(func(completions=["#### 18"], reference=["18"]))


def test_components_share_one_request_per_batch(service_url: str) -> None:
    client = RewardClient(service_url, token=TOKEN)
    batches = {"gsm8k": SharedBatch(client, consumers=2)}
    fmt = component_reward_func(batches, "gsm8k", "format", "format", log_status=True)
    cor = component_reward_func(batches, "gsm8k", "correctness", "correctness", log_status=False)
    logged: dict[str, float] = {}

    async def step() -> list[list[float | None]]:
        kwargs = {"completions": ["#### 18", "#### 17"], "reference": ["18", "18"]}
        return await asyncio.gather(fmt(**kwargs, log_metric=logged.__setitem__), cor(**kwargs))

    assert asyncio.run(step()) == [[0.5, 0.5], [1.0, 0.0]]
    assert client.requests_sent == 1
    assert logged["reward_service/gsm8k/unscored_frac"] == 0.0
    assert 0 < logged["reward_service/gsm8k/latency_s"] < 10
    asyncio.run(step())
    assert client.requests_sent == 2  # the next batch is a new request, not a cached answer


def test_large_batches_are_chunked_in_order(service_url: str) -> None:
    client = RewardClient(service_url, token=TOKEN, max_batch_items=2)
    items = [ScoreItem(id=str(i), completion=f"#### {i}", reference="3") for i in range(5)]
    results = asyncio.run(client.score(items))
    assert [r.id for r in results] == ["0", "1", "2", "3", "4"]
    assert [r.components["correctness"] for r in results] == [0, 0, 0, 1.0, 0]
    assert client.requests_sent == 3


def test_chat_completions_are_read_as_text(service_url: str) -> None:
    client = RewardClient(service_url, token=TOKEN)
    func = component_reward_func({"g": SharedBatch(client, 1)}, "g", "correctness", "correctness", log_status=False)
    completions = [[{"role": "assistant", "content": "#### 18"}]]
    assert asyncio.run(func(completions=completions, reference=["18"])) == [1.0]


def test_describe_unreachable_is_a_clear_error_after_its_deadline() -> None:
    started = time.monotonic()
    with pytest.raises(RewardServiceError, match="not reachable after"):
        RewardClient(f"http://127.0.0.1:{free_port()}", deadline_s=1.0).describe()
    assert 1.0 <= time.monotonic() - started < 5


def test_describe_waits_for_a_service_that_starts_late() -> None:
    """A k8s Job started before its verifier: the first attempts are refused, then it answers."""
    import threading

    port = free_port()
    app = create_app(Settings())
    server: dict = {}

    def start_later() -> None:
        time.sleep(1.0)
        server["cm"] = running_server(app, port=port)
        server["cm"].__enter__()

    starter = threading.Thread(target=start_later)
    starter.start()
    try:
        described = RewardClient(f"http://127.0.0.1:{port}", deadline_s=60, backoff_max_s=0.5).describe()
        assert [v.name for v in described.verifiers] == ["gsm8k"]
    finally:
        starter.join()  # the server may answer before `__enter__` has returned in the starter thread
        server["cm"].__exit__(None, None, None)


def test_a_new_event_loop_closes_the_old_connection_pool(service_url: str) -> None:
    client = RewardClient(service_url, token=TOKEN)
    items = [ScoreItem(id="0", completion="#### 1", reference="1")]
    asyncio.run(client.score(items))
    first = client.transport._client
    asyncio.run(client.score(items))  # TRL may drive the client from a new loop
    assert first is not None and first.is_closed and client.transport._client is not first
    asyncio.run(client.aclose())
