"""`rlvr eval` end to end on tiny models: table, JSON and PNG, figures consistent with the records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlvr.cli import app
from rlvr.services.runtime import Settings
from rlvr.trainer.evaluate import EvalConfig, evaluate, markdown_table, summarise


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
def test_in_process_scoring_matches_the_service(tmp_path: Path, tiny_model_dir: Path, serve) -> None:
    common = {"models": [str(tiny_model_dir)], "n": 2, "shots": [0], "max_new_tokens": 3}
    local = evaluate(EvalConfig(**common, out_dir=str(tmp_path / "a")))
    remote = evaluate(EvalConfig(**common, reward_url=serve(Settings()), out_dir=str(tmp_path / "b")))
    assert local["summary"] == remote["summary"]


def test_table_shows_accuracy_and_format_per_k() -> None:
    records = [
        {"model": "base", "shots": 0, "correct": False, "formatted": True},
        {"model": "base", "shots": 0, "correct": True, "formatted": True},
        {"model": "trained", "shots": 0, "correct": True, "formatted": True},
    ]
    table = markdown_table(summarise(records))
    assert "| base | 50% (100%) |" in table and "| trained | 100% (100%) |" in table


def test_reward_curve_is_drawn_from_metrics(tmp_path: Path) -> None:
    from rlvr.trainer.evaluate import plot_reward_curve

    metrics = tmp_path / "metrics.jsonl"
    rows = [{"step": s, "rewards/format/mean": 0.1 * s, "rewards/correctness/mean": 0.05 * s} for s in (1, 2, 3)]
    metrics.write_text("".join(json.dumps(r) + "\n" for r in [*rows, {"step": 3, "train_runtime": 1.0}]))
    plot_reward_curve(metrics, tmp_path / "curve.png")
    assert (tmp_path / "curve.png").read_bytes()[:4] == b"\x89PNG"
