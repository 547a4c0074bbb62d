"""Items routed by verifier (a dataset's `verifier` column) through rlvr.integrations.trl, against real
services: one request per endpoint per batch, one function per component name, None where an item's
verifier lacks the component, None everywhere for an item that could not be judged; and what TRL's
own GRPOTrainer then logs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from rlvr.client import RewardClient, RewardServiceError
from rlvr.integrations.trl import Endpoint, reward_functions
from rlvr.services.protocol import ScoreItem
from rlvr.services.runtime import Settings
from rlvr.testing.polling import metric_value
from rlvr.testing.servers import running_server
from tests.grpo_cases import tiny_grpo
from tests.plugins.tasks import ALPHA, BETA

# (verifier, reference) rows and what each function gives them: alpha has format and correctness,
# beta correctness and partial; beta cannot read a `bad` reference (status error).
ROWS = [("alpha", "1"), ("beta", "2"), ("beta", "bad"), ("alpha", "3")]
EXPECTED = {
    "format": [0.5, None, None, 0.5],
    "correctness": [1.0, 0.25, None, 1.0],
    "partial": [None, 0.75, None, None],
}


@pytest.fixture(scope="module")
def both(serve_module) -> str:
    """One service hosting both verifiers (as the front door does)."""
    return serve_module(Settings(verifiers=[ALPHA, BETA], workers=1))


def _batch() -> dict:
    return {"completions": ["x"] * len(ROWS), "reference": [r for _, r in ROWS], "verifier": [v for v, _ in ROWS]}


def _run(funcs: list, **batch) -> dict[str, list]:
    logged: dict[str, float] = {}

    async def step() -> list:
        return await asyncio.gather(*(f(**batch, log_metric=logged.__setitem__) for f in funcs))

    out = dict(zip([f.__name__ for f in funcs], asyncio.run(step()), strict=True))
    return out | {"logged": logged}  # type: ignore[dict-item]


def _requests(url: str) -> float:
    return metric_value(url, "rlvr_requests_total", route="/score", code="200")


def test_one_endpoint_hosting_both_one_request_and_one_function_per_component(both: str) -> None:
    rewards = reward_functions([Endpoint("door", both, token_env=None)], verifiers=["alpha", "beta"])
    assert [f.__name__ for f in rewards.funcs] == ["format", "correctness", "partial"]
    assert rewards.weights == [1.0, 1.0, 1.0]
    assert rewards.verifiers["beta"] == {"name": "beta", "version": "0.0.1", "url": both, "endpoint": "door"}
    before = _requests(both)
    got = _run(rewards.funcs, **_batch())
    assert {k: got[k] for k in EXPECTED} == EXPECTED
    assert _requests(both) == before + 1
    logged = got["logged"]
    assert logged["reward_service/masked_frac"] == 0.25
    assert (logged["reward_service/masked_frac/alpha"], logged["reward_service/masked_frac/beta"]) == (0.0, 0.5)
    assert logged["reward_service/door/unscored_frac"] == 0.25


def test_each_item_goes_to_the_endpoint_hosting_its_verifier(serve) -> None:
    alpha, beta = serve(Settings(verifiers=[ALPHA])), serve(Settings(verifiers=[BETA]))
    endpoints = [Endpoint("a", alpha, token_env=None), Endpoint("b", beta, token_env=None)]
    rewards = reward_functions(endpoints, verifiers=["alpha", "beta"])
    got = _run(rewards.funcs, **_batch())
    assert {k: got[k] for k in EXPECTED} == EXPECTED
    assert (_requests(alpha), _requests(beta)) == (1, 1)  # one request per endpoint per batch
    assert metric_value(alpha, "rlvr_items_total", verifier="alpha", status="scored") == 2
    assert metric_value(beta, "rlvr_items_total", verifier="beta", status="error") == 1
    assert rewards.verifiers["alpha"]["endpoint"] == "a" and rewards.verifiers["beta"]["endpoint"] == "b"


def test_weights_come_from_the_endpoints_and_restrict_the_components(serve) -> None:
    alpha, beta = serve(Settings(verifiers=[ALPHA])), serve(Settings(verifiers=[BETA]))
    endpoints = [
        Endpoint("a", alpha, weights={"correctness": 2.0}, token_env=None),
        Endpoint("b", beta, weights={"correctness": 2.0, "partial": 0.5}, token_env=None),
    ]
    rewards = reward_functions(endpoints, verifiers=["alpha", "beta"])
    assert [f.__name__ for f in rewards.funcs] == ["correctness", "partial"] and rewards.weights == [2.0, 0.5]
    got = _run(rewards.funcs, **_batch())
    assert got["correctness"] == EXPECTED["correctness"] and got["partial"] == EXPECTED["partial"]


@pytest.mark.parametrize(
    ("endpoints", "verifiers", "message"),
    [
        ([("a", ALPHA, None)], ["alpha", "gamma"], "verifier 'gamma' is hosted by no endpoint: a (http"),
        ([("a", ALPHA, {"correctness": 1.0}), ("b", BETA, {"correctness": 2.0})], ["alpha", "beta"],
         "component 'correctness' weighs 1 for alpha and 2 for beta"),
        ([("a", ALPHA, {"partial": 1.0})], ["alpha"], "have no components ['partial']"),
        ([("a", ALPHA, None)], [], "routes nothing"),
    ],
    ids=["unhosted", "two-weights", "unknown-component", "none"],
)  # fmt: skip
def test_routes_that_cannot_work_are_refused_at_start(serve, endpoints: list, verifiers: list, message: str) -> None:
    made = [Endpoint(name, serve(Settings(verifiers=[spec])), weights=w, token_env=None) for name, spec, w in endpoints]
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(")):
        reward_functions(made, verifiers=verifiers)


def test_an_item_naming_an_undeclared_verifier_stops_the_first_batch_naming_it(both: str) -> None:
    rewards = reward_functions([Endpoint("door", both, token_env=None)], verifiers=["alpha"])
    with pytest.raises(RewardServiceError, match="item 1 names verifier 'beta' in column 'verifier'"):
        _run(rewards.funcs, completions=["x", "y"], reference=["1", "2"], verifier=["alpha", "beta"])


def test_a_verifier_column_without_routing_is_an_error_not_a_misjudged_run(both: str) -> None:
    alpha_only = Endpoint("door", both, verifier="alpha", token_env=None)
    rewards = reward_functions([alpha_only])  # today's mode: every item to alpha
    with pytest.raises(RewardServiceError, match=r"pass the names it holds as reward_functions\(\.\.\., verifiers="):
        _run(rewards.funcs, **_batch())
    ignoring = reward_functions([alpha_only], verifier_column=None)
    assert _run(ignoring.funcs, **_batch())["format"] == [0.5] * 4  # told to ignore it: today's behaviour


def test_a_service_that_ignores_the_items_verifier_is_a_protocol_error() -> None:
    """An older service that judges every item with its one verifier (a stand-in: no such release exists here)."""
    app = FastAPI()

    @app.post("/score")
    async def score() -> JSONResponse:
        result = {"id": "0", "status": "scored", "reward": 1.5, "components": {"format": 0.5, "correctness": 1.0}}
        return JSONResponse({"request_id": "r", "verifier": {"name": "gsm8k", "version": "1"}, "results": [result]})

    item = ScoreItem(id="0", completion="x", reference="1", verifier="code")
    with running_server(app) as url, pytest.raises(RewardServiceError, match="judged item 0 with 'gsm8k', not"):
        asyncio.run(RewardClient(url).score([item]))


@pytest.mark.slow
def test_trl_grpo_logs_each_component_over_the_items_that_have_it(tmp_path: Path, tiny_model_dir: Path, both) -> None:
    """TRL's own GRPOTrainer on a three-problem dataset (every batch holds all three): what it logs is
    known exactly, whatever the random model writes."""
    rewards = reward_functions([Endpoint("door", both, token_env=None)], verifiers=["alpha", "beta"])
    rows = [{"prompt": f"Problem {i}:", "reference": r, "verifier": v} for i, (v, r) in enumerate(ROWS[:3])]
    before = _requests(both)
    trainer = tiny_grpo(tiny_model_dir, rewards, rows, tmp_path, max_steps=2)
    trainer.train()
    steps = [r for r in trainer.state.log_history if "reward" in r]
    assert len(steps) == 2
    for r in steps:
        assert r["rewards/format/mean"] == pytest.approx(0.5)  # alpha's items only: beta's are None, not 0
        assert r["rewards/partial/mean"] == pytest.approx(0.75)  # the judged beta items only
        assert r["rewards/correctness/mean"] == pytest.approx((2 * 1.0 + 2 * 0.25) / 4)  # the bad item left out
        assert r["reward"] == pytest.approx((2 * 1.5 + 2 * 1.0) / 4)  # weighted sums of the judged rows
        assert r["reward_service/masked_frac"] == pytest.approx(1 / 3)
        assert r["reward_service/masked_frac/beta"] == pytest.approx(0.5)
    assert _requests(both) == before + 2  # one request per generation batch
