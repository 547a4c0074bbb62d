"""Mixed tasks through other trainers' protocols: a label that is `{"verifier", "reference"}` routes its
sample to that verifier of the front door, through the trainers' own client code where it installs."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from rlvr.services.runtime import Settings

PROMPT = "Question: what is half of one?\nSolution:"
# (completion, label, reward): the route names gsm8k; the labels send math samples elsewhere.
SAMPLES = [
    (" #### 18", "18", 1.5),
    (" \\boxed{\\frac{1}{2}}", json.dumps({"verifier": "math", "reference": "0.5"}), 1.5),
    (" \\boxed{3}", json.dumps({"verifier": "math", "reference": 4}), 0.5),
    (" #### 17", json.dumps({"verifier": "gsm8k", "reference": "18"}), 0.5),
]


@pytest.fixture(scope="module")
def front(serve_module) -> str:
    return serve_module(Settings(verifiers=["gsm8k", "math"], workers=1))


def test_openrlhf_own_client_routes_each_sample_by_its_label(front: str) -> None:
    from openrlhf.utils.agent import SingleTurnAgentExecutor  # openrlhf 0.11.2, the --reward.remote_url client

    executor = SingleTurnAgentExecutor(f"{front}/adapters/openrlhf/gsm8k")
    for completion, label, reward in SAMPLES:
        (answer,) = asyncio.run(executor._fetch_rewards_via_http([PROMPT + completion], [PROMPT], [label]))
        assert answer["rewards"] == [reward], label
        assert answer["extra_logs"]["rlvr_unscored"] == 0.0


def test_openrlhf_batch_mixes_verifiers_with_one_set_of_log_keys(front: str) -> None:
    body = {
        "query": [PROMPT + c for c, _, _ in SAMPLES],
        "prompts": [PROMPT] * len(SAMPLES),
        "labels": [label for _, label, _ in SAMPLES],
    }
    answer = httpx.post(f"{front}/adapters/openrlhf/gsm8k", json=body, timeout=60).json()
    assert answer["rewards"] == [r for *_, r in SAMPLES]
    assert set(answer["extra_logs"]) == {"format", "correctness", "rlvr_unscored"}
    assert all(len(v) == len(SAMPLES) for v in answer["extra_logs"].values())


@pytest.mark.parametrize(("completion", "label", "reward"), SAMPLES)
def test_slime_routes_by_label(front: str, completion: str, label: str, reward: float) -> None:
    body = {"prompt": PROMPT, "response": completion, "label": label}
    answer = httpx.post(f"{front}/adapters/slime/gsm8k", json=body, timeout=60).json()
    assert (answer["reward"], answer["status"]) == (reward, "scored")


@pytest.mark.parametrize("as_object", [False, True], ids=["json-text", "object"])
def test_nemo_gym_task_routes_itself(front: str, as_object: bool) -> None:
    label = {"verifier": "math", "reference": "0.5"}
    body = {
        "responses_create_params": {"input": [{"role": "user", "content": PROMPT}]},
        "response": {"output": [{"type": "message", "content": [{"type": "output_text", "text": "\\boxed{1/2}"}]}]},
        "expected_answer": label if as_object else json.dumps(label),
    }
    answer = httpx.post(f"{front}/verify", json=body, timeout=60).json()
    assert (answer["reward"], answer["mask_sample"]) == (1.5, False)


@pytest.mark.parametrize(
    "label",
    [json.dumps({"verifier": "nope", "reference": "1"}), json.dumps({"verifier": 3, "reference": "1"})],
    ids=["unknown-verifier", "verifier-not-a-string"],
)
def test_a_bad_routed_label_is_a_clear_422(front: str, label: str) -> None:
    body = {"prompt": PROMPT, "response": "#### 1", "label": label}
    reply = httpx.post(f"{front}/adapters/slime/gsm8k", json=body, timeout=60)
    assert reply.status_code == 422 and "verifier" in reply.json()["error"]


def test_a_code_reference_is_not_mistaken_for_a_routed_label() -> None:
    from rlvr.services.runtime.edge.wire import routed_label

    code = json.dumps({"tests": [{"stdin": "1\n", "stdout": "1\n"}]})
    assert routed_label(code) == (None, code)
