"""Instruction-following data for `rlvr eval` / `rlvr train`: `ifeval-synthetic` (seeded, splits
disjoint by construction, worded as IFEval words its instructions), IFEval's own rows from a local
JSONL of the hub's shape, zero-shot prompts, and a tiny model evaluated and trained against a real
ifeval service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlvr.cli import app
from rlvr.services.runtime import Settings
from rlvr.services.verifiers.ifeval import oracle
from rlvr.services.verifiers.ifeval.spec import ARGUMENTS, parse_reference
from rlvr.services.verifiers.ifeval.wording import CONFLICTS, INSTRUCTIONS
from rlvr.trainer.config import TrainConfig
from rlvr.trainer.data import data_kind, load_problems
from rlvr.trainer.evaluate import EvalConfig
from rlvr.trainer.ifeval_tasks import synthetic_ifeval_problems, synthetic_split
from rlvr.trainer.prompts import FewShotPrompter
from tests.ifeval_cases import require_oracle


def _request(question: str) -> str:
    return question.split(". ", 1)[0] + "."  # every request is one sentence


def test_synthetic_splits_never_share_a_writing_request() -> None:
    train = load_problems("ifeval-synthetic", "train", 400, seed=0)
    test = load_problems("ifeval-synthetic", "test", 400, seed=0)
    assert all(synthetic_split(_request(p.question)) == "train" for p in train)
    assert not {_request(p.question) for p in train} & {_request(p.question) for p in test}
    assert all(p.kind == "ifeval" for p in train + test)


def test_synthetic_problems_are_reproducible_and_vary_with_the_seed() -> None:
    assert synthetic_ifeval_problems(20, seed=3) == synthetic_ifeval_problems(20, seed=3)
    assert synthetic_ifeval_problems(20, seed=3) != synthetic_ifeval_problems(20, seed=4)


def test_synthetic_problems_ask_one_to_three_compatible_instructions_covering_all_ids() -> None:
    seen: set[str] = set()
    for problem in synthetic_ifeval_problems(600, seed=1):
        ref = parse_reference(problem.reference)  # every reference is one the verifier accepts
        ids = [i.id for i in ref.instructions]
        assert 1 <= len(ids) <= 3
        assert all(b not in CONFLICTS[a] for k, a in enumerate(ids) for b in ids[k + 1 :]), ids
        seen |= set(ids)
    assert seen == set(ARGUMENTS)


def test_instructions_are_worded_as_ifeval_words_them() -> None:
    require_oracle()
    import random

    rng = random.Random(0)
    for instruction_id, (sample, render) in INSTRUCTIONS.items():
        kwargs = sample(rng)
        if instruction_id == "combination:repeat_prompt":
            kwargs["prompt_to_repeat"] = "Write a poem."
        checker = oracle._registry()[instruction_id](instruction_id)
        assert render(kwargs) == checker.build_description(**kwargs), instruction_id


def _ifeval_rows() -> list[dict]:
    names = sorted({name for args in ARGUMENTS.values() for name in args})
    nulls = dict.fromkeys(names)  # the hub's rows carry every argument name, null where unused
    return [
        {"key": 1, "prompt": "Write a haiku. Do not use commas.", "instruction_id_list": ["punctuation:no_comma"],
         "kwargs": [nulls]},
        {"key": 2, "prompt": "Describe rain in at least 5 words.",
         "instruction_id_list": ["length_constraints:number_words"],
         "kwargs": [nulls | {"num_words": 5, "relation": "at least"}]},
    ]  # fmt: skip


def test_a_local_ifeval_jsonl_is_read_as_the_hub_rows(tmp_path: Path) -> None:
    path = tmp_path / "ifeval.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _ifeval_rows()))
    assert data_kind(str(path)) == "ifeval" and data_kind("google/IFEval") == "ifeval"
    problems = load_problems(str(path), "test")
    assert [p.question for p in problems] == [r["prompt"] for r in _ifeval_rows()]
    assert [len(parse_reference(p.reference).instructions) for p in problems] == [1, 1]
    with pytest.raises(ValueError, match="evaluation set"):
        load_problems(str(path), "train")


@pytest.mark.parametrize(("style", "expected"), [("plain", str), ("chat", list)])
def test_prompts_are_the_request_alone(style: str, expected: type) -> None:
    problem = synthetic_ifeval_problems(1, seed=0)[0]
    prompt = FewShotPrompter([], 0, style, kind="ifeval")(problem.question)
    assert isinstance(prompt, expected)
    assert problem.question in (prompt if isinstance(prompt, str) else prompt[-1]["content"])


def test_ifeval_prompts_are_zero_shot_and_need_the_ifeval_verifier() -> None:
    with pytest.raises(ValueError, match="zero-shot"):
        FewShotPrompter(synthetic_ifeval_problems(4, seed=0), 1, "chat", kind="ifeval")
    with pytest.raises(ValueError, match="--verifier ifeval"):
        EvalConfig(data="ifeval-synthetic", shots=[0], verifier="gsm8k")
    assert EvalConfig(data="ifeval-synthetic", shots=[0]).verifier == "ifeval"  # chosen by the data


@pytest.mark.slow
def test_rlvr_eval_on_ifeval_synthetic_through_a_real_ifeval_service(tmp_path: Path, tiny_model_dir: Path, serve):
    url = serve(Settings(verifiers=["ifeval"], workers=1))
    out = tmp_path / "eval"
    result = CliRunner().invoke(
        app,
        ["eval", "--model", str(tiny_model_dir), "--data", "ifeval-synthetic", "--n", "4", "--shots", "0",
         "--prompt-style", "chat", "--max-new-tokens", "8", "--reward-url", url, "--out-dir", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads((out / "results.json").read_text())
    assert data["config"]["verifier"] == "ifeval"  # chosen from the data
    records = data["records"]
    assert len(records) == 4 and all(r["status"] == "scored" for r in records)
    for record in records:
        total = len(json.loads(record["reference"])["instruction_id_list"])
        assert record["answer"].endswith(f"/{total}")
        assert set(record["components"]) == {"correctness", "partial"}


@pytest.mark.slow
def test_two_grpo_steps_on_ifeval_synthetic_against_the_ifeval_service(tmp_path: Path, tiny_model_dir: Path, serve):
    from rlvr.trainer.train import train

    url = serve(Settings(verifiers=["ifeval"], workers=1))
    out = tmp_path / "run"
    cfg = TrainConfig(
        model=str(tiny_model_dir), data="ifeval-synthetic", train_size=8, prompt_style="chat", shots=0,
        rewards=[{"name": "ifeval", "url": url, "token_env": None}],
        num_generations=2, per_device_train_batch_size=4, max_completion_length=16, max_steps=2, save_steps=10,
        output_dir=str(out), report_to=[],
    )  # fmt: skip
    train(cfg)
    steps = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in steps if "rewards/correctness/mean" in r]
    assert [r["step"] for r in steps] == [1, 2] and all("rewards/partial/mean" in r for r in steps)
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert manifest["verifiers"]["ifeval"]["name"] == "ifeval"
    assert manifest["reward_functions"] == ["correctness", "partial"]
