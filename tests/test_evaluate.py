"""`rlvr eval` end to end on tiny models: table, JSON and PNG, figures consistent with the records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlvr.cli import app
from rlvr.services.runtime import Settings
from rlvr.trainer.evaluate import EvalConfig, device_and_dtype, evaluate, markdown_table, summarise


@pytest.mark.slow
def test_two_models_side_by_side_in_one_table_and_plot(tmp_path: Path, tiny_model_dir: Path, serve) -> None:
    other = tmp_path / "trained" / "final"  # a training output dir's final model is named after the run
    shutil.copytree(tiny_model_dir, other)
    url = serve(Settings())
    out = tmp_path / "eval"
    result = CliRunner().invoke(
        app,
        ["eval", "--model", str(tiny_model_dir), "--model", str(other.parent), "--n", "3", "--shots", "0,1",
         "--max-new-tokens", "4", "--reward-url", url, "--out-dir", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads((out / "results.json").read_text())
    assert (out / "accuracy.png").read_bytes()[:4] == b"\x89PNG"
    labels = [tiny_model_dir.name, "trained"]
    assert [(s["model"], s["shots"]) for s in data["summary"]] == [(m, k) for m in labels for k in (0, 1)]
    for s in data["summary"]:
        rows = [r for r in data["records"] if r["model"] == s["model"] and r["shots"] == s["shots"]]
        assert len(rows) == s["n"] == 3
        assert s["accuracy"] == sum(r["components"].get("correctness", 0) > 0 for r in rows) / 3
        assert s["format_rate"] == sum(r["components"].get("format", 0) > 0 for r in rows) / 3
    table = (out / "results.md").read_text()
    assert all(label in table for label in labels) and "k=1 acc (fmt)" in table


@pytest.mark.slow
def test_evaluation_records_its_device_and_reads_the_test_split(tmp_path: Path, tiny_model_dir: Path) -> None:
    for split in ("train", "test"):
        rows = [{"question": f"{split} question {i}", "answer": f"#### {i}"} for i in range(3)]
        (tmp_path / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = EvalConfig(
        models=[str(tiny_model_dir)], data=str(tmp_path / "train.jsonl"), n=2, shots=[1], max_new_tokens=2,
        out_dir=str(tmp_path / "out"),
    )  # fmt: skip
    report = evaluate(cfg)
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    expected = device_and_dtype("auto")  # what this machine has: cuda/bf16 on a capable GPU, else cpu/fp32
    assert (data["config"]["device"], data["config"]["torch_dtype"]) == (expected[0], str(expected[1]))
    questions = [r["question"] for r in report["records"]]
    assert questions == ["test question 0", "test question 1"]  # --data train.jsonl evaluates on test.jsonl
    assert all("train question" in r["prompt"] for r in report["records"])  # the shot comes from train


def test_in_process_scoring_matches_the_service(serve) -> None:
    from rlvr.trainer.evaluate import score
    from rlvr.trainer.problem import Problem

    rows = [
        ("#### 18", "#### 18"),  # correct
        ("#### 17", "#### 18"),  # formatted, wrong
        ("\\boxed{1,800}", "#### 1,800"),  # correct, thousands separators
        ("#### 3 or 4", "#### 4"),  # several numbers: nothing
        ("no answer", "#### 5"),  # no answer
        ("#### 5", "not a number"),  # bad reference: unscored
    ]
    problems = [Problem(question=str(i), solution=ref, reference=ref) for i, (_, ref) in enumerate(rows)]
    completions = [c for c, _ in rows]
    local = score(completions, problems, EvalConfig())
    remote = score(completions, problems, EvalConfig(reward_url=serve(Settings())))
    assert [r.model_dump() for r in local] == [r.model_dump() for r in remote]
    assert [r.reward for r in local] == [1.5, 0.5, 1.5, 0.0, 0.0, None]  # real, varied verdicts


def test_fewshot_examples_never_come_from_the_evaluation_file(tmp_path: Path) -> None:
    from rlvr.trainer.evaluate import fewshot_pool

    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps({"question": "q", "answer": "#### 1"}) + "\n")
    with pytest.raises(ValueError, match="evaluation file"):
        fewshot_pool(EvalConfig(data=str(path), shots=[0, 2]), [])
    assert fewshot_pool(EvalConfig(data=str(path), shots=[0]), []) == []  # zero-shot needs no pool


def test_table_counts_unscored_items() -> None:
    records = [
        {"model": "base", "shots": 0, "correct": False, "formatted": False, "status": "timeout"},
        {"model": "base", "shots": 0, "correct": True, "formatted": True, "status": "scored"},
    ]
    summary = summarise(records)
    assert summary[0]["unscored"] == 1
    assert "| base | 50% (50%) | 1/2 |" in markdown_table(summary)


def test_reward_curve_is_drawn_from_metrics(tmp_path: Path) -> None:
    from rlvr.trainer.plots import plot_reward_curve

    metrics = tmp_path / "metrics.jsonl"
    rows = [{"step": s, "rewards/format/mean": 0.1 * s, "rewards/correctness/mean": 0.05 * s} for s in (1, 2, 3)]
    metrics.write_text("".join(json.dumps(r) + "\n" for r in [*rows, {"step": 3, "train_runtime": 1.0}]))
    plot_reward_curve(metrics, tmp_path / "curve.png")
    assert (tmp_path / "curve.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("cuda", "bf16", "requested", "expected"),
    [
        (False, False, "auto", ("cpu", "torch.float32")),
        (True, True, "auto", ("cuda", "torch.bfloat16")),
        (True, False, "auto", ("cuda", "torch.float32")),
        (True, True, "fp32", ("cuda", "torch.float32")),
    ],
    ids=["cpu", "gpu-bf16", "gpu-no-bf16", "gpu-fp32-asked"],
)
def test_the_device_and_dtype_follow_the_machine(
    monkeypatch: pytest.MonkeyPatch, cuda: bool, bf16: bool, requested: str, expected: tuple[str, str]
) -> None:
    import torch

    # The GPU is a stand-in here (none on this machine); the choice is what is under test.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    device, dtype = device_and_dtype(requested)
    assert (device, str(dtype)) == expected


def test_bf16_is_refused_without_a_capable_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="bf16 needs a GPU"):
        device_and_dtype("bf16")
