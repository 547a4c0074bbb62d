"""Few-shot prompts and problem sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rlvr.trainer.data import load_problems, split_path, strip_calculator, synthetic_problems
from rlvr.trainer.prompts import STOP_WORD, FewShotPrompter, chat_prompt, plain_prompt
from tests.conftest import GSM8K_DIR, require_shared_data


def test_synthetic_problems_are_reproducible_and_gsm8k_shaped() -> None:
    a, b = synthetic_problems(20, seed=3), synthetic_problems(20, seed=3)
    assert a == b
    assert all(p.solution.splitlines()[-1].startswith("#### ") for p in a)
    assert all(p.reference == p.solution for p in a)


@pytest.mark.parametrize("source", ["synthetic", "synthetic:2"])
def test_synthetic_train_and_test_are_disjoint_by_construction(source: str) -> None:
    train = {p.question for p in load_problems(source, "train", 10_000, seed=0)}
    test = {p.question for p in load_problems(source, "test", 10_000, seed=0)}
    assert len(train) > 5_000 and len(test) > 5_000  # many distinct problems on each side
    assert not train & test


def test_local_split_reads_the_sibling_file(tmp_path: Path) -> None:
    for split in ("train", "test"):
        (tmp_path / f"{split}.jsonl").write_text(json.dumps({"question": split, "answer": "#### 1"}) + "\n")
    assert load_problems(str(tmp_path / "train.jsonl"), "test")[0].question == "test"
    assert load_problems(str(tmp_path / "test.jsonl"), "train")[0].question == "train"


def test_two_step_synthetic_problems() -> None:
    problems = load_problems("synthetic:2", "train", 10)
    assert all(len(p.solution.splitlines()) == 3 for p in problems)


def test_local_jsonl_keeps_references_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps({"question": "q", "answer": "2 + 2 = <<2+2=4>>4\n#### 4"}) + "\n")
    (problem,) = load_problems(str(path))
    assert problem.reference == "2 + 2 = <<2+2=4>>4\n#### 4"
    assert problem.answer == "4"
    assert split_path(str(path), "test").endswith("test.jsonl")


def test_real_gsm8k_loads() -> None:
    require_shared_data(GSM8K_DIR / "train.jsonl")
    problems = load_problems(str(GSM8K_DIR / "train.jsonl"), limit=5)
    assert problems[0].answer == "72"


def test_calculator_annotations_are_removed() -> None:
    assert strip_calculator("48/2 = <<48/2=24>>24 clips") == "48/2 = 24 clips"


def test_plain_prompt_is_the_published_form() -> None:
    ex = synthetic_problems(1, seed=0)[0]
    prompt = plain_prompt("How many?", [ex])
    assert prompt.startswith(f"Question: {ex.question}\nSolution: Let's think step by step. ")
    assert f"\n#### The final answer is {ex.answer}\n\n" in prompt
    assert prompt.endswith("Question: How many?\nSolution: Let's think step by step.")


def test_chat_prompt_has_system_shots_and_question() -> None:
    ex = synthetic_problems(2, seed=0)
    messages = chat_prompt("How many?", ex)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert messages[2]["content"].endswith(f"#### {ex[0].answer}")


def test_prompter_never_uses_the_question_itself_as_an_example() -> None:
    pool = synthetic_problems(5, seed=0)
    prompter = FewShotPrompter(pool, shots=4, style="plain")
    for p in pool:
        assert all(e.question != p.question for e in prompter.examples_for(p.question))
        assert len(prompter.examples_for(p.question)) == 4


def test_too_few_examples_is_an_error() -> None:
    with pytest.raises(ValueError, match="8 shots"):
        FewShotPrompter(synthetic_problems(3, seed=0), shots=8, style="chat")


def test_stop_word_marks_a_new_question() -> None:
    assert plain_prompt("x", []).startswith(STOP_WORD)
