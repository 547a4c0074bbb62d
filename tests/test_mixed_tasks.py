"""Mixed tasks end to end: GRPO on synthetic word problems and stdin/stdout programs against ONE real
service hosting gsm8k and code, and `rlvr eval` per task and overall, in-process and through it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlvr.cli import app
from rlvr.services.runtime import Settings
from rlvr.testing.polling import metric_value
from rlvr.trainer.config import TrainConfig
from rlvr.trainer.evaluate import EvalConfig, evaluate
from tests.code_cases import require_sandbox

MIX = "synthetic=0.5,code-stdio=0.5"


@pytest.fixture(scope="module")
def gsm8k_and_code(serve_module) -> str:
    """`RLVR_VERIFIERS=gsm8k,code rlvr serve`, as configs/mixed-cpu-demo.yaml expects."""
    require_sandbox()
    return serve_module(Settings(verifiers=["gsm8k", "code"], workers=1))


def _component_mean(url: str, component: str) -> float:
    """The service's own mean of a component over every item it judged, both verifiers together."""

    def total(name: str) -> float:
        return sum(metric_value(url, name, verifier=v, component=component) for v in ("gsm8k", "code"))

    return total("rlvr_reward_component_sum") / total("rlvr_reward_component_count")


@pytest.mark.slow
def test_two_grpo_steps_on_a_mix_against_one_service_hosting_both(
    tmp_path: Path, tiny_model_dir: Path, gsm8k_and_code: str
) -> None:
    from rlvr.trainer.train import train

    url = gsm8k_and_code
    out = tmp_path / "run"
    cfg = TrainConfig(
        model=str(tiny_model_dir), data=MIX, train_size=8, prompt_style="chat", shots=0,
        rewards=[{"name": "reward", "url": url, "token_env": None}],
        num_generations=2, per_device_train_batch_size=8, max_completion_length=8, max_steps=2, save_steps=10,
        output_dir=str(out), report_to=[],
    )  # fmt: skip
    train(cfg)
    steps = [r for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines()) if "reward" in r]
    assert [r["step"] for r in steps] == [1, 2]
    # Every item judged by its own verifier: a code item sent to gsm8k would be an unreadable reference, masked.
    assert all(r["reward_service/masked_frac"] == 0.0 for r in steps)
    assert metric_value(url, "rlvr_requests_total", route="/score", code="200") == 2  # one per generation batch
    judged = {v: metric_value(url, "rlvr_items_total", verifier=v, status="scored") for v in ("gsm8k", "code")}
    assert sum(judged.values()) == 2 * 8 and all(judged.values())
    for component in ("format", "correctness"):  # what TRL logged is what the service judged
        logged = sum(r[f"rewards/{component}/mean"] for r in steps) / 2
        assert logged == pytest.approx(_component_mean(url, component))
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert manifest["reward_functions"] == ["format", "correctness"]
    assert {v: m["endpoint"] for v, m in manifest["verifiers"].items()} == {"gsm8k": "reward", "code": "reward"}


def _check_report(out: Path, n_code: int) -> dict:
    data = json.loads((out / "results.json").read_text())
    rows = {(s["task"], s["shots"]): s for s in data["summary"]}
    assert set(rows) == {("synthetic", 0), ("code-stdio", 0), ("all", 0)}
    for (task, _), row in rows.items():
        records = [r for r in data["records"] if task in ("all", r["task"])]
        assert row["n"] == len(records) and row["accuracy"] == sum(r["correct"] for r in records) / len(records)
    assert rows["code-stdio", 0]["n"] == n_code and rows["all", 0]["n"] == rows["synthetic", 0]["n"] + n_code
    assert {r["task"]: r["verifier"] for r in data["records"]} == {"synthetic": "gsm8k", "code-stdio": "code"}
    assert all(r["status"] == "scored" for r in data["records"])  # each judged by its own verifier
    assert (out / "accuracy.png").read_bytes()[:4] == b"\x89PNG"
    table = (out / "results.md").read_text()
    assert "| model | task | k=0 acc (fmt) | unscored |" in table and "| all |" in table
    return data


@pytest.mark.slow
def test_eval_reports_each_task_and_all_in_process_and_through_the_service(
    tmp_path: Path, tiny_model_dir: Path, gsm8k_and_code: str
) -> None:
    common = {"models": [str(tiny_model_dir)], "data": MIX, "n": 6, "shots": [0], "max_new_tokens": 4}
    local = evaluate(EvalConfig(**common, out_dir=str(tmp_path / "local")))
    _check_report(tmp_path / "local", n_code=3)
    result = CliRunner().invoke(
        app,
        ["eval", "--model", str(tiny_model_dir), "--data", MIX, "--n", "6", "--shots", "0", "--max-new-tokens", "4",
         "--reward-url", gsm8k_and_code, "--out-dir", str(tmp_path / "remote")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    remote = _check_report(tmp_path / "remote", n_code=3)
    verdicts = [(r["task"], r["status"], r["components"]) for r in local["records"]]
    assert verdicts == [(r["task"], r["status"], r["components"]) for r in remote["records"]]  # the same judges


def test_the_mixed_recipe_trains_through_one_endpoint() -> None:
    cfg = TrainConfig.from_yaml("configs/mixed-cpu-demo.yaml")
    assert len(cfg.rewards) == 1 and cfg.data == "synthetic=0.7,code-stdio=0.3"


def test_the_summary_counts_each_task_and_every_problem_once_overall(tmp_path: Path) -> None:
    from rlvr.trainer.report import markdown_table, summarise, write_report

    outcomes = {"synthetic": [True, True, False, False], "code-stdio": [True, False]}  # 50% and 50%: all 3/6
    records = [
        {"model": "m", "shots": k, "task": task, "correct": ok and k == 1, "formatted": True, "status": "scored"}
        for k in (0, 1)
        for task, oks in outcomes.items()
        for ok in oks
    ]
    summary = {(s["task"], s["shots"]): (s["n"], s["accuracy"]) for s in summarise(records)}
    assert summary == {
        ("synthetic", 0): (4, 0.0), ("code-stdio", 0): (2, 0.0), ("all", 0): (6, 0.0),
        ("synthetic", 1): (4, 0.5), ("code-stdio", 1): (2, 0.5), ("all", 1): (6, 0.5),
    }  # fmt: skip
    table = markdown_table(summarise(records))
    assert "| m | code-stdio | 0% (100%) | 50% (100%) | 0/4 |" in table
    assert "| m | all | 0% (100%) | 50% (100%) | 0/12 |" in table
    write_report(records, {}, tmp_path)
    assert (tmp_path / "accuracy.png").read_bytes()[:4] == b"\x89PNG"
