"""Property tests: any strings in, one well-formed result per item out, no exception."""

from __future__ import annotations

import math

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlvr.services.verifiers.gsm8k import GSM8KVerifier

V = GSM8KVerifier()
# Text biased towards the characters the parser cares about.
answerish = st.text(alphabet=st.sampled_from(list("0123456789#$,./-−%{}\\boxedfrac<>answer* \n_`x")), max_size=80)
any_text = st.one_of(st.text(max_size=200), answerish)


@given(completion=any_text, reference=any_text)
@settings(max_examples=500, deadline=None)
def test_score_never_raises_anything_but_a_reference_error(completion: str, reference: str) -> None:
    try:
        verdict = V.score(completion, reference)
    except ValueError as exc:
        assert "reference" in str(exc)
        return
    assert set(verdict.components) == {"format", "correctness"}
    assert verdict.components["format"] in (0.0, 0.5)
    assert verdict.components["correctness"] in (0.0, 1.0)
    assert verdict.components["correctness"] <= 2 * verdict.components["format"]  # no correctness without format
    assert math.isclose(verdict.reward, sum(verdict.components.values()))


@given(
    value=st.integers(min_value=-(10**12), max_value=10**12),
    wrapper=st.sampled_from(
        ["#### {}", "#### The final answer is {}", "\\boxed{{{}}}", "<answer>{}</answer>", "#### ${:,}"]
    ),
)
def test_any_integer_in_any_form_is_correct(value: int, wrapper: str) -> None:
    assert V.score(wrapper.format(value), str(value)).reward == 1.5


items = st.lists(st.fixed_dictionaries({"completion": any_text, "reference": any_text}), min_size=1, max_size=8)


@given(batch=items)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_http_one_result_per_item_reward_is_sum(client: httpx.Client, batch: list[dict]) -> None:
    reply = client.post("/score", json={"items": batch})
    assert reply.status_code == 200, reply.text
    results = reply.json()["results"]
    assert [r["id"] for r in results] == [str(i) for i in range(len(batch))]
    for result in results:
        if result["status"] == "scored":
            assert math.isclose(result["reward"], sum(result["components"].values()))
        else:
            assert result["reward"] is None and result["error"]
