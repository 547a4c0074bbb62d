"""Other trainers' reward protocols on the same service: the same rewards as `/score`, honest failures.

OpenRLHF's own client code (0.11.2 and 0.8.11, installed --no-deps by `make setup`) drives its
adapter; for the others the requests are the shapes quoted in `rlvr/services/runtime/edge/` from their released
source (slime is not on PyPI; NeMo Gym needs Python 3.13 and an antlr4 that clashes with
math-verify's; verl imports ray), and the verl/TRL integrations are called exactly as those
frameworks call a reward function.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from rlvr.integrations.trl import Endpoint, reward_functions
from rlvr.integrations.verl import compute_score, compute_score_batch
from rlvr.services.runtime import Settings
from tests.adapter_cases import CASES, HANG, PROMPT, nemo_body


@pytest.fixture(scope="module")
def gsm8k_url() -> str:
    from rlvr.services.runtime import create_app
    from rlvr.testing.servers import running_server

    with running_server(create_app(Settings())) as url:
        yield url


def test_score_gives_the_expected_rewards(gsm8k_url: str) -> None:
    body = {"items": [{"completion": c, "reference": r} for c, r, _ in CASES]}
    results = httpx.post(f"{gsm8k_url}/score", json=body).json()["results"]
    assert [r["reward"] for r in results] == [reward for *_, reward in CASES]


@pytest.mark.parametrize(("completion", "reference", "reward"), CASES)
def test_openrlhf_own_client_one_sample_per_request(gsm8k_url: str, completion: str, reference: str, reward: float):
    from openrlhf.utils.agent import SingleTurnAgentExecutor  # openrlhf 0.11.2, the --reward.remote_url client

    executor = SingleTurnAgentExecutor(f"{gsm8k_url}/adapters/openrlhf/gsm8k")
    query = PROMPT + completion + "<|im_end|>"  # decoded with special tokens, as OpenRLHF sends it
    (answer,) = asyncio.run(executor._fetch_rewards_via_http([query], [PROMPT], [reference]))
    assert answer["rewards"] == answer["scores"] == [reward]
    assert answer["extra_logs"]["rlvr_unscored"] == 0.0
    assert answer["extra_logs"]["format"] + answer["extra_logs"]["correctness"] == reward


OPENRLHF_08 = Path(sys.prefix) / "frameworks" / "openrlhf-0.8.11"  # `make setup` installs it there, --no-deps
DRIVE_08 = """
import json, sys, types
ray = types.ModuleType("ray"); ray.remote = lambda f: f; sys.modules["ray"] = ray  # only its decorator is used
import torch
from openrlhf.utils.remote_rm_utils import request_api_wrapper
url, body = sys.argv[1], json.loads(sys.argv[2])
info = request_api_wrapper(url, body)
# experience_maker.py 0.8.11, as it consumes the answers of the servers:
rewards = torch.cat([torch.as_tensor(i["rewards"]) for i in [info]], dim=0)
scores = torch.cat([torch.as_tensor(i["scores"]) for i in [info]], dim=0)
assert "extra_logs" not in info  # 0.8.11 torch.cat()s them and crashes on lists
print(json.dumps(rewards.tolist()))
"""


def test_openrlhf_08_own_client_one_batch_per_request(gsm8k_url: str) -> None:
    """OpenRLHF 0.8.11's `request_api_wrapper` (--remote_rm_url), run from its released package."""
    body = {"query": [PROMPT + c for c, _, _ in CASES], "prompts": [PROMPT] * 8, "labels": [r for _, r, _ in CASES]}
    url = f"{gsm8k_url}/adapters/openrlhf/gsm8k?extra_logs=false"
    result = subprocess.run(
        [sys.executable, "-c", DRIVE_08, url, json.dumps(body)],
        env=os.environ | {"PYTHONPATH": str(OPENRLHF_08)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [reward for *_, reward in CASES]


def test_openrlhf_08_batch_shape(gsm8k_url: str) -> None:
    """0.8.x `remote_rm_utils.request_api_wrapper`: one POST of the whole batch; lists back, one per query."""
    body = {"query": [PROMPT + c for c, _, _ in CASES], "prompts": [PROMPT] * 8, "labels": [r for _, r, _ in CASES]}
    answer = httpx.post(f"{gsm8k_url}/adapters/openrlhf/gsm8k", json=body).json()
    assert answer["rewards"] == [reward for *_, reward in CASES]
    assert all(len(v) == 8 for v in answer["extra_logs"].values())
    # 0.8.10-0.8.11 torch.cat their extra_logs and crash on lists: `?extra_logs=false` leaves them out.
    plain = httpx.post(f"{gsm8k_url}/adapters/openrlhf/gsm8k?extra_logs=false", json=body).json()
    assert set(plain) == {"rewards", "scores"}
    # 0.9.1-0.11.0 also post empty lists to every other URL.
    empty = httpx.post(f"{gsm8k_url}/adapters/openrlhf/gsm8k", json={"query": [], "prompts": [], "labels": []})
    assert empty.json()["rewards"] == []


def test_openrlhf_prompt_not_in_query_is_unscored_not_read_whole(gsm8k_url: str) -> None:
    body = {"query": ["#### 18"], "prompts": ["a prompt that was rewritten"], "labels": ["18"]}
    answer = httpx.post(f"{gsm8k_url}/adapters/openrlhf/gsm8k", json=body).json()
    assert answer["rewards"] == [0.0] and answer["extra_logs"]["rlvr_unscored"] == 1.0


@pytest.mark.parametrize(
    "query",
    [
        PROMPT + " #### 5\n" + PROMPT + " #### 18",  # the response repeats the question and answers again
        "<s>" + PROMPT + " #### 5\n" + PROMPT + " #### 18",  # same, behind a BOS token
        "<|begin_of_text|>" + PROMPT + " #### 5\n" + PROMPT + " #### 18<|im_end|>",
    ],
)
def test_openrlhf_reads_the_whole_response_after_the_first_prompt(gsm8k_url: str, query: str) -> None:
    body = {"query": [query], "prompts": [PROMPT], "labels": ["18"]}
    answer = httpx.post(f"{gsm8k_url}/adapters/openrlhf/gsm8k", json=body).json()
    assert answer["rewards"] == [0.0] and answer["extra_logs"]["rlvr_unscored"] == 0.0  # conflicting: nothing


def test_openrlhf_special_token_runs_are_stripped_in_linear_time() -> None:
    import time

    from rlvr.services.runtime.edge.special_tokens import strip_trailing_special

    for hostile in (" <|a|>" * 200_000 + "x", " " * 1_000_000 + "x", " <|im_end|>" * 100_000):
        started = time.perf_counter()
        strip_trailing_special(hostile)
        assert time.perf_counter() - started < 2.0  # measured ~0.3 s per MB; a quadratic scan takes hours
    assert strip_trailing_special("#### 4 <|im_end|>\n<|endoftext|></s>") == "#### 4"
    assert strip_trailing_special("a <|not a token|>") == "a <|not a token|>"


@pytest.mark.parametrize(("completion", "reference", "reward"), CASES)
def test_slime(gsm8k_url: str, completion: str, reference: str, reward: float) -> None:
    """slime `remote_rm`: `{"prompt", "response", "label"}`; the JSON answer is the reward (`--reward-key reward`)."""
    body = {"prompt": PROMPT, "response": completion, "label": reference}
    answer = httpx.post(f"{gsm8k_url}/adapters/slime/gsm8k", json=body).json()
    assert answer["reward"] == reward and answer["status"] == "scored" and answer["unscored"] is False
    assert sum(answer["components"].values()) == reward


@pytest.mark.parametrize(("completion", "reference", "reward"), CASES)
def test_nemo_gym_seed_then_verify_at_the_root(gsm8k_url: str, completion: str, reference: str, reward: float):
    with httpx.Client(base_url=gsm8k_url) as client:
        assert client.post("/seed_session", json={"responses_create_params": {"input": []}}).json() == {}
        body = nemo_body(completion, reference)
        answer = client.post("/verify", json=body).json()
    assert answer["reward"] == reward and answer["mask_sample"] is False and answer["failure_kind"] is None
    assert answer["expected_answer"] == reference and answer["response"] == body["response"]  # echoed
    assert sum(answer["reward_components"].values()) == reward


@pytest.mark.parametrize(("completion", "reference", "reward"), CASES)
def test_verl_compute_score(gsm8k_url: str, completion: str, reference: str, reward: float) -> None:
    """As verl 0.9.1's naive reward manager calls it: keyword arguments, awaited (it is async)."""
    result = asyncio.run(
        compute_score(
            data_source="openai/gsm8k",
            solution_str=completion,
            ground_truth=reference,
            extra_info={"index": 0, "num_turns": 1},
            url=gsm8k_url,
        )
    )
    assert result == {"score": reward, "format": 0.5 if reward else 0.0, "correctness": 1.0 if reward == 1.5 else 0.0,
                      "unscored": 0.0}  # fmt: skip


def _score_requests(url: str) -> float:
    prefix = 'rlvr_requests_total{code="200",route="/score"} '
    lines = httpx.get(f"{url}/metrics").text.splitlines()
    return next((float(line.removeprefix(prefix)) for line in lines if line.startswith(prefix)), 0.0)


def test_verl_batched_form_one_request(gsm8k_url: str) -> None:
    before = _score_requests(gsm8k_url)
    scores = compute_score_batch(
        data_sources=["gsm8k"] * 8,
        solution_strs=[c for c, _, _ in CASES],
        ground_truths=[r for _, r, _ in CASES],
        extra_infos=[{}] * 8,
        url=gsm8k_url,
    )
    assert [s["score"] for s in scores] == [reward for *_, reward in CASES]
    assert _score_requests(gsm8k_url) == before + 1  # eight samples, one request


def test_trl_reward_functions(gsm8k_url: str) -> None:
    rewards = reward_functions([Endpoint("gsm8k", gsm8k_url)], reference_column="answer")
    assert [f.__name__ for f in rewards.funcs] == ["format", "correctness"] and rewards.weights == [1.0, 1.0]
    kwargs = {"prompts": [PROMPT] * 8, "completions": [c for c, _, _ in CASES], "answer": [r for _, r, _ in CASES]}

    async def step() -> list:
        return await asyncio.gather(*(f(**kwargs) for f in rewards.funcs))

    fmt, cor = asyncio.run(step())
    assert [f + c for f, c in zip(fmt, cor, strict=True)] == [reward for *_, reward in CASES]


# --- items the verifier could not judge: never a silent zero ------------------------------------


@pytest.fixture(scope="module")
def hang_url() -> str:
    from rlvr.services.runtime import create_app
    from rlvr.testing.servers import running_server

    with running_server(create_app(Settings(verifiers=[HANG], workers=1, item_deadline_s=0.5))) as url:
        yield url


def test_unscored_through_openrlhf(hang_url: str) -> None:
    body = {"query": ["P:ok", "P:hang"], "prompts": ["P:", "P:"], "labels": ["1", "1"]}
    answer = httpx.post(f"{hang_url}/adapters/openrlhf/misbehaving", json=body).json()
    assert answer["rewards"] == [1.0, 0.0] and answer["extra_logs"]["rlvr_unscored"] == [0.0, 1.0]
    metrics = httpx.get(f"{hang_url}/metrics").text
    assert 'rlvr_adapter_items_total{adapter="openrlhf",status="timeout"} 1.0' in metrics


def test_unscored_through_slime(hang_url: str) -> None:
    answer = httpx.post(f"{hang_url}/adapters/slime/misbehaving", json={"response": "hang", "label": 1}).json()
    assert (answer["reward"], answer["unscored"], answer["status"]) == (0.0, True, "timeout")


def test_unscored_through_nemo_gym(serve) -> None:
    url = serve(Settings(verifiers=[HANG], workers=1, item_deadline_s=0.5))
    answer = httpx.post(f"{url}/verify", json=nemo_body("hang", "1")).json()
    assert answer["mask_sample"] is True and answer["failure_kind"] == "verifier_error"
    assert "timeout" in answer["failure_reason"]


def test_unscored_through_verl_and_trl(hang_url: str) -> None:
    result = asyncio.run(compute_score("x", "hang", "1", url=hang_url))
    assert result == {"score": 0.0, "ok": 0.0, "unscored": 1.0}
    rewards = reward_functions([Endpoint("m", hang_url)])
    out = asyncio.run(rewards.funcs[0](completions=["ok", "hang"], reference=["1", "1"]))
    assert out == [1.0, None]  # TRL masks None
