"""verl's `data_source` chooses each sample's verifier (a default map, overridden in reward_kwargs), and
`compute_score_batch` sends one request with per-item verifiers, against a real service hosting two."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest

from rlvr.client import RewardServiceError
from rlvr.integrations.verl import compute_score, compute_score_batch, verifier_for
from rlvr.services.runtime import Settings
from rlvr.testing.polling import metric_value
from rlvr.testing.servers import free_port

BOTH = ["gsm8k", "math"]
CHOSEN = [
    # (data_source, hosted, reward_kwargs.verifier, reward_kwargs.verifiers, the verifier chosen)
    ("openai/gsm8k", BOTH, None, None, "gsm8k"),
    ("lighteval/MATH", BOTH, None, None, "math"),
    ("DigitalLearningGmbH/MATH-lighteval", BOTH, None, None, "math"),
    ("HuggingFaceH4/MATH-500", BOTH, "gsm8k", None, "math"),  # the map before the configured verifier
    ("math_dapo", BOTH, None, None, "math"),
    ("aime2024", BOTH, None, None, "math"),
    ("numina_olympiads", BOTH, None, None, "math"),
    ("OPENAI/GSM8K", BOTH, None, None, "gsm8k"),  # case does not matter
    ("taco", ["code", "gsm8k"], None, None, "code"),
    ("livecodebench", ["code"], None, None, "code"),
    ("google/IFEval", ["ifeval", "gsm8k"], None, None, "ifeval"),
    ("my_source", BOTH, None, {"my_source": "math"}, "math"),  # an override
    ("openai/gsm8k", BOTH, None, {"openai/gsm8k": "math"}, "math"),  # overrides beat the map
    ("my_source", BOTH, "math", None, "math"),  # unknown: the configured verifier
    ("my_source", ["gsm8k"], None, None, "gsm8k"),  # unknown: the only one hosted
    ("lighteval/MATH", ["gsm8k"], None, None, "gsm8k"),  # mapped but not hosted: as before, the only one
    (None, ["gsm8k"], None, None, "gsm8k"),
]


@pytest.mark.parametrize(("source", "hosted", "verifier", "verifiers", "chosen"), CHOSEN)
def test_the_data_source_chooses_the_verifier(source, hosted, verifier, verifiers, chosen) -> None:
    assert verifier_for(source, hosted, verifier, verifiers) == chosen


@pytest.mark.parametrize(
    ("source", "verifiers", "message"),
    [
        ("my_source", None, "names no verifier the service hosts (['gsm8k', 'math']): map it in reward_kwargs, e.g. "
         "verifiers={'my_source': 'math'}"),
        ("my_source", {"my_source": "code"}, "verifiers maps 'my_source' to 'code'; the service hosts"),
        ("my_source", ["math"], "verifiers must map data_source -> verifier"),
    ],
)  # fmt: skip
def test_a_sample_without_a_verifier_is_a_clear_error(source: str, verifiers, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        verifier_for(source, BOTH, None, verifiers)
    assert message in str(refused.value)


def test_a_mapped_source_the_service_does_not_host_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="rlvr.integrations.verl"):
        verifier_for("HuggingFaceH4/MATH-500", ["gsm8k"])
    assert "'HuggingFaceH4/MATH-500' is 'math''s by default, which the service does not host" in caplog.text


@pytest.fixture(scope="module")
def two(serve_module) -> str:
    return serve_module(Settings(verifiers=BOTH, workers=1))


# (data_source, completion, ground truth): `\boxed{x}` against `x` is right for math and an unreadable
# reference for gsm8k, so a sample sent to the wrong verifier shows.
SAMPLES = [
    ("openai/gsm8k", "#### 18", "18"),
    ("lighteval/MATH", "\\boxed{x}", "x"),
    ("my_source", "\\boxed{\\frac{1}{2}}", "0.5"),
    ("aime24", "\\boxed{7}", "8"),
    ("openai/gsm8k", "#### 17", "18"),
]
KWARGS = {"verifiers": {"my_source": "math"}}


def _alone(url: str, verifier: str, completion: str, truth: str) -> dict:
    body = {"verifier": verifier, "items": [{"completion": completion, "reference": truth}]}
    return httpx.post(f"{url}/score", json=body).json()["results"][0]


def test_the_batched_form_sends_one_request_each_item_judged_by_its_sources_verifier(two: str) -> None:
    before = metric_value(two, "rlvr_requests_total", route="/score", code="200")
    scores = compute_score_batch(
        data_sources=[s for s, _, _ in SAMPLES], solution_strs=[c for _, c, _ in SAMPLES],
        ground_truths=[t for *_, t in SAMPLES], extra_infos=[{}] * len(SAMPLES), url=two, **KWARGS,
    )  # fmt: skip
    assert metric_value(two, "rlvr_requests_total", route="/score", code="200") == before + 1
    assert len({tuple(s) for s in scores}) == 1  # the same keys for every sample, as verl requires
    for (source, completion, truth), got in zip(SAMPLES, scores, strict=True):
        expected = _alone(two, verifier_for(source, BOTH, None, KWARGS["verifiers"]), completion, truth)
        assert expected["status"] == "scored" and got["unscored"] == 0.0
        assert got["score"] == expected["reward"]
        assert {k: got[k] for k in expected["components"]} == expected["components"]
    assert [s["score"] for s in scores] == [1.5, 1.5, 1.5, 0.5, 0.5]


def test_the_per_sample_form_routes_by_data_source_too(two: str) -> None:
    async def all_samples() -> list[dict]:
        return await asyncio.gather(
            *(compute_score(source, completion, truth, {}, url=two, **KWARGS) for source, completion, truth in SAMPLES)
        )

    assert [s["score"] for s in asyncio.run(all_samples())] == [1.5, 1.5, 1.5, 0.5, 0.5]


def test_a_configured_verifier_the_service_does_not_host_is_refused(two: str) -> None:
    hosted = r"is not hosted by http\S+ \(\['gsm8k', 'math'\]\)"
    with pytest.raises(ValueError, match="reward_kwargs.verifier 'code' " + hosted):
        compute_score_batch(["x"], ["#### 1"], ["1"], url=two, verifier="code")


@pytest.mark.parametrize("deadline_s", [1, "1"])  # Hydra hands over what the override says
def test_reward_kwargs_set_the_total_deadline_of_a_service_that_is_down(deadline_s: float | str) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    with pytest.raises(RewardServiceError, match=r"not reachable after \d+ attempts in 1s"):
        compute_score_batch(["gsm8k"], ["#### 18"], ["18"], url=url, deadline_s=deadline_s, request_timeout_s=0.5)
    with pytest.raises(RewardServiceError, match=r"in 1s"):
        asyncio.run(compute_score("gsm8k", "#### 18", "18", url=url, deadline_s=deadline_s))
    assert time.monotonic() - started < 60  # the default deadline is 120 s per call
