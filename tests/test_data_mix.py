"""Mixed data (`--data synthetic=0.7,code-stdio=0.3`): the syntax and its messages, shares by weight,
reproducible sampling, each problem's own prompts and verifier, and the training dataset's columns."""

from __future__ import annotations

from collections import Counter

import pytest

from rlvr.trainer.config import TrainConfig
from rlvr.trainer.eval_config import EvalConfig
from rlvr.trainer.mix import Task, is_mix, load_mix, parse_mix, shares, stop_kind, verifier_for, verifiers_of

PARSED = [
    # (spec, [(source, weight, verifier)])
    ("synthetic=0.7,code-stdio=0.3", [("synthetic", 0.7, "gsm8k"), ("code-stdio", 0.3, "code")]),
    ("synthetic:2=1, humaneval=3", [("synthetic:2", 1.0, "gsm8k"), ("humaneval", 3.0, "code")]),
    ("humaneval:all=1", [("humaneval:all", 1.0, "code")]),
]


@pytest.mark.parametrize(("spec", "tasks"), PARSED, ids=[p[0] for p in PARSED])
def test_a_mix_names_sources_and_weights(spec: str, tasks: list) -> None:
    assert [(t.source, t.weight, t.verifier) for t in parse_mix(spec)] == tasks


BAD = [
    # (spec, what the message says)
    ("synthetic:0.7,code-stdio:0.3", "has no weight; every source of a mix needs one, e.g. synthetic=0.7 (':' selects"),
    ("synthetic=0.7,code-stdio", "'code-stdio' has no weight"),
    ("synthetic=0.7,,code-stdio=0.3", "entry 2 is empty"),
    ("synthetic=abc,code-stdio=1", "the weight of 'synthetic' must be a positive number, got 'abc'"),
    ("synthetic=0,code-stdio=1", "must be a positive number, got '0'"),
    ("synthetic=-1,code-stdio=1", "must be a positive number"),
    ("synthetic=nan,code-stdio=1", "must be a positive number"),
    ("=1,code-stdio=1", "names no source before '='"),
    ("synthetic=1,synthetic=2", "['synthetic'] appear more than once"),
]


@pytest.mark.parametrize(("spec", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_mix_says_what_is_wrong_when_the_recipe_loads(spec: str, message: str) -> None:
    for config in (TrainConfig, EvalConfig):
        with pytest.raises(ValueError, match="--data") as refused:
            config(data=spec)
        assert message in str(refused.value)


def test_one_source_is_not_a_mix() -> None:
    assert not is_mix("synthetic") and not is_mix("synthetic:2") and not is_mix("openai/gsm8k")
    assert verifiers_of("synthetic=1,code-stdio=1,synthetic:2=1") == ["gsm8k", "code"]


@pytest.mark.parametrize(
    ("total", "weights", "counts"),
    [(10, [0.7, 0.3], [7, 3]), (3, [1, 1], [2, 1]), (7, [1, 1, 1], [3, 2, 2]), (100, [2, 1, 1], [50, 25, 25])],
)
def test_shares_follow_the_weights_and_add_up(total: int, weights: list, counts: list) -> None:
    assert shares(total, weights) == counts


def test_training_samples_are_reproducible_by_seed_and_repeat_a_small_source() -> None:
    tasks = parse_mix("synthetic=0.5,code-stdio=0.5")
    first, pools = load_mix(tasks, "train", 40, seed=1, repeat=True)
    again, _ = load_mix(tasks, "train", 40, seed=1, repeat=True)
    other, _ = load_mix(tasks, "train", 40, seed=2, repeat=True)
    assert first == again and first != other
    assert Counter(s.task.source for s in first) == {"synthetic": 20, "code-stdio": 20}
    code = [s.problem.question for s in first if s.task.source == "code-stdio"]
    assert len(pools["code-stdio"]) == 12 and set(code) == {p.question for p in pools["code-stdio"]}  # 12, repeated
    assert [s.task.source for s in first[:20]].count("synthetic") not in (0, 20)  # shuffled together


def test_a_mix_defaults_to_its_sources_together() -> None:
    samples, pools = load_mix(parse_mix("synthetic=3,code-stdio=1"), "train", None, seed=0, repeat=True)
    assert len(samples) == len(pools["synthetic"]) + len(pools["code-stdio"]) == 1012


def test_evaluation_takes_the_first_problems_of_each_test_split_without_repeats() -> None:
    samples, _ = load_mix(parse_mix("synthetic=0.5,code-stdio=0.5"), "test", 40, seed=0, repeat=False)
    counts = Counter(s.task.source for s in samples)
    assert counts == {"synthetic": 20, "code-stdio": 12}  # the code set has 12 problems, none repeated
    assert len({s.problem.question for s in samples}) == len(samples)


@pytest.mark.parametrize(
    ("data", "kind"),
    [("synthetic=1,code-stdio=1", "math"), ("humaneval=1,code-stdio=1", "code"), ("synthetic", "math")],
)
def test_plain_prompts_stop_at_a_new_question_when_any_task_is_math(data: str, kind: str) -> None:
    assert stop_kind(data) == kind


def test_the_training_dataset_gives_each_problem_its_kinds_prompt_and_verifier() -> None:
    from rlvr.trainer.train import build_dataset

    cfg = TrainConfig(data="synthetic=0.5,code-stdio=0.5", train_size=16, shots=1, prompt_style="chat")
    rows = build_dataset(cfg).to_list()
    assert Counter((r["task"], r["verifier"]) for r in rows) == {("synthetic", "gsm8k"): 8, ("code-stdio", "code"): 8}
    for r in rows:
        system = r["prompt"][0]["content"]
        expected = "Python programmer" if r["task"] == "code-stdio" else "math tutor"
        assert expected in system  # each task's own system prompt ...
        shot = r["prompt"][2]["content"]  # ... and its own solved example
        assert ("```python" in shot) == (r["task"] == "code-stdio")
    assert build_dataset(cfg).to_list() == rows  # reproducible


def test_one_source_keeps_todays_columns() -> None:
    from rlvr.trainer.train import build_dataset

    assert build_dataset(TrainConfig(data="synthetic", train_size=4, shots=0)).column_names == ["prompt", "reference"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"verifier": "gsm8k"}, "its own verifier (gsm8k for synthetic, code for code-stdio): leave --verifier out"),
        ({"fewshot_data": "synthetic"}, "leave --fewshot-data out"),
    ],
)
def test_a_mix_chooses_its_own_verifiers_and_examples(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        EvalConfig(data="synthetic=1,code-stdio=1", **fields)


def test_each_kind_has_its_verifier_and_a_new_kind_the_verifier_of_its_name() -> None:
    assert [verifier_for(kind) for kind in ("math", "code", "ifeval")] == ["gsm8k", "code", "ifeval"]
    assert (Task("synthetic").verifier, Task("humaneval").verifier) == ("gsm8k", "code")
