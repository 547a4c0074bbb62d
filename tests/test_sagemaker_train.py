"""The SageMaker training-container contract: hyperparameters as strings, metrics, failure file, a real job."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rlvr.sagemaker.container import launch_command, run_training_job
from rlvr.sagemaker.contract import OptML, failure_reason, recipe_from_hyperparameters
from rlvr.sagemaker.metrics import MAX_DEFINITIONS, metric_definitions, metric_line
from rlvr.services.runtime import Settings
from rlvr.trainer.config import TrainConfig
from rlvr.trainer.data import synthetic_problems

ROOT = Path(__file__).resolve().parents[1]


def opt_ml(tmp_path: Path, hyperparameters: dict[str, str], model_dir: Path | None = None) -> OptML:
    """A tree laid out as SageMaker lays it out: config, a `train` data channel, optionally a `model` channel."""
    opt = OptML(tmp_path / "opt-ml")
    opt.hyperparameters.parent.mkdir(parents=True)
    opt.hyperparameters.write_text(json.dumps(hyperparameters))
    opt.channel("train").mkdir(parents=True)
    rows = [{"question": p.question, "answer": p.solution} for p in synthetic_problems(16, seed=0, split="train")]
    (opt.channel("train") / "part-0.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    if model_dir is not None:
        shutil.copytree(model_dir, opt.channel("model"))
    return opt


def test_string_hyperparameters_become_the_recipes_typed_fields(tmp_path: Path) -> None:
    opt = opt_ml(tmp_path, {})
    hp = {
        "config": "cpu-demo",
        "max_steps": "3",
        "learning_rate": "1e-06",
        "lora": "true",
        "train_size": "none",
        "report_to": "tensorboard,wandb",
        "rewards": '[{"name": "g", "url": "sagemaker://rlvr-verifier", "request_timeout_s": 30}]',
        "sagemaker_program": "ignored: the SDK's own keys",
    }
    cfg = recipe_from_hyperparameters(hp, opt)
    assert (cfg.max_steps, cfg.learning_rate, cfg.lora, cfg.train_size) == (3, 1e-06, True, None)
    assert cfg.report_to == ["tensorboard", "wandb"]
    assert cfg.rewards[0].url == "sagemaker://rlvr-verifier" and cfg.rewards[0].request_timeout_s == 30
    assert cfg.temperature == 0.7  # from configs/cpu-demo.yaml
    assert cfg.output_dir == str(opt.checkpoints)
    assert cfg.data == str(opt.channel("train") / "part-0.jsonl")  # the train channel's one JSONL file


@pytest.mark.parametrize(
    ("hyperparameters", "message"),
    [
        ({"max_steps": "ten"}, r"max_steps='ten': expected an integer"),
        ({"lora": "maybe"}, r"lora='maybe': expected true or false"),
        ({"max_step": "1"}, r"unknown hyperparameters \['max_step'\]"),
        ({"output_dir": "/tmp/x"}, r"checkpoints go to"),
        ({"num_generations": "1"}, r"num_generations must be >= 2"),  # the recipe's own message
        ({"rewards": '{"url": "x"}'}, r"expected a JSON list"),
        ({"reward_url": "ftp://x"}, r"must start with http://, https://, sagemaker:// or inprocess://"),
        ({"config": "no-such-recipe"}, r"no such recipe"),
        ({"data": "channel:eval"}, r"channel 'eval'.*does not exist"),
        ({"rewards": '[{"nam": "x"}]'}, r"rewards\[0\]: unknown keys \['nam'\]"),  # as the YAML path says it
        ({"rewards": '[{"name": "x"'}, r"expected a JSON list"),  # broken JSON: no parser traceback
    ],
    ids=[
        "int",
        "bool",
        "unknown",
        "output-dir",
        "recipe-rule",
        "json-list",
        "reward-url",
        "config",
        "channel",
        "endpoint-key",
        "broken-json",
    ],
)
def test_a_bad_hyperparameter_is_refused_saying_how_to_fix_it(
    tmp_path: Path, hyperparameters: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        recipe_from_hyperparameters(hyperparameters, opt_ml(tmp_path, {}))


def test_the_failure_reason_is_one_line_of_at_most_1024_characters() -> None:
    reason = failure_reason(ValueError("first line\nsecond " + "x" * 2000))
    assert reason.startswith("ValueError: first line second x") and len(reason) == 1024 and "\n" not in reason


def test_metric_definitions_scrape_the_metric_lines() -> None:
    cfg = TrainConfig(rewards=[{"name": "a"}, {"name": "b", "weights": {"correctness": 1.0}}])
    definitions = metric_definitions(cfg)
    assert len(definitions) <= MAX_DEFINITIONS
    logs = {"loss": 0.0125, "reward": 1.5, "reward_std": float("nan"), "rewards/b_correctness/mean": 1e-05}
    line = metric_line(7, logs)
    assert line == "rlvr_metrics step=7 loss=0.0125 reward=1.5 rewards/b_correctness/mean=1e-05"
    found = {}
    for d in definitions:
        match = re.search(d["Regex"], line)
        if match:
            found[d["Name"]] = float(match.group(1))
    assert found == {"train:loss": 0.0125, "train:reward": 1.5, "train:rewards/b_correctness/mean": 1e-05}


def test_metric_definitions_of_mixed_data_name_components_and_each_verifiers_masking() -> None:
    cfg = TrainConfig(data="synthetic=1,code-stdio=1", rewards=[{"name": "a"}, {"name": "b"}])
    names = [d["Name"].removeprefix("train:") for d in metric_definitions(cfg)]
    assert [n for n in names if n.startswith("rewards/")] == ["rewards/format/mean", "rewards/correctness/mean"]
    assert {"reward_service/masked_frac/gsm8k", "reward_service/masked_frac/code"} <= set(names)
    line = metric_line(3, {"reward_service/masked_frac/code": 0.25, "reward_service/masked_frac": 0.125})
    found = {d["Name"]: re.search(d["Regex"], line) for d in metric_definitions(cfg)}
    assert float(found["train:reward_service/masked_frac/code"].group(1)) == 0.25  # type: ignore[union-attr]
    assert float(found["train:reward_service/masked_frac"].group(1)) == 0.125  # type: ignore[union-attr]


def test_metric_definitions_stop_at_forty() -> None:
    cfg = TrainConfig(rewards=[{"name": f"e{i}"} for i in range(12)])
    assert len(metric_definitions(cfg)) == MAX_DEFINITIONS


@pytest.mark.parametrize(
    ("gpus", "resources", "expected"),
    [
        (0, None, None),
        (1, None, None),
        (4, None, ["--multi_gpu", "--num_processes", "4", "--num_machines", "1", "--machine_rank", "0"]),
        (
            8,
            {"current_host": "algo-2", "hosts": ["algo-1", "algo-2"]},
            ["--num_processes", "16", "--num_machines", "2", "--machine_rank", "1", "--main_process_ip", "algo-1"],
        ),
    ],
    ids=["cpu", "one-gpu", "four-gpus", "two-hosts"],
)
def test_several_gpus_go_through_accelerate_launch(
    tmp_path: Path, gpus: int, resources: dict | None, expected: list[str] | None
) -> None:
    opt = opt_ml(tmp_path, {})
    if resources:
        opt.resource_config.write_text(json.dumps(resources))
    command = launch_command(opt, gpus)
    if expected is None:
        assert command is None
        return
    assert command is not None and command[1:3] == ["-m", "accelerate.commands.launch"]
    assert " ".join(expected) in " ".join(command)
    assert command[-7:] == [
        "--module",
        "rlvr.cli",
        "sagemaker",
        "container-train",
        "--opt-ml",
        str(opt.root),
        "--worker",
    ]


def test_a_failed_job_writes_the_failure_file_and_exits_non_zero(tmp_path: Path) -> None:
    opt = opt_ml(tmp_path, {"config": "cpu-demo", "max_steps": "one"})
    cmd = [sys.executable, "-m", "rlvr.cli", "sagemaker", "container-train", "--opt-ml", str(opt.root)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert opt.failure.read_text() == "ValueError: hyperparameter max_steps='one': expected an integer"


@pytest.mark.slow
def test_a_job_trains_saves_the_model_and_a_restarted_job_resumes(
    tmp_path: Path, tiny_model_dir: Path, serve, capfd: pytest.CaptureFixture[str]
) -> None:
    url = serve(Settings())
    hp = {
        "config": "configs/cpu-demo.yaml",
        "model": "channel:model",
        "reward_url": url,
        "train_size": "16",
        "num_generations": "2",
        "per_device_train_batch_size": "4",
        "max_completion_length": "8",
        "warmup_steps": "0",
        "save_steps": "1",
        "report_to": "none",
        "max_steps": "1",
    }
    opt = opt_ml(tmp_path, hp, model_dir=tiny_model_dir)
    assert run_training_job(opt.root) == 0
    assert (opt.model / "config.json").exists() and (opt.model / "tokenizer.json").exists()
    assert (opt.checkpoints / "checkpoint-1").is_dir()
    assert (opt.output_data / "metrics.jsonl").exists() and not opt.failure.exists()
    assert re.search(r"^rlvr_metrics step=1 .* rewards/format/mean=", capfd.readouterr().out, re.MULTILINE)

    opt.hyperparameters.write_text(json.dumps(hp | {"max_steps": "2"}))  # the restarted job finds checkpoint-1
    assert run_training_job(opt.root) == 0
    rows = [json.loads(line) for line in (opt.checkpoints / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if "rewards/format/mean" in r] == [1, 2]  # step 1 not repeated
    assert (opt.checkpoints / "checkpoint-2").is_dir()


@pytest.mark.slow
def test_sigterm_stops_the_job_with_a_failure_line_and_status_143(tmp_path: Path, tiny_model_dir: Path, serve) -> None:
    """SageMaker stops a job with SIGTERM (SIGKILL 120 s later); wherever it lands, the job says so and exits 143."""
    hp = {"model": "channel:model", "reward_url": serve(Settings()), "max_steps": "1000", "save_steps": "1"}
    hp |= {"num_generations": "2", "per_device_train_batch_size": "4", "max_completion_length": "8"}
    opt = opt_ml(tmp_path, hp, model_dir=tiny_model_dir)
    cmd = [sys.executable, "-m", "rlvr.cli", "sagemaker", "container-train", "--opt-ml", str(opt.root)]
    job = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    assert job.stderr is not None
    for line in job.stderr:  # the recipe is read: the job is under way
        if "training job:" in line:
            break
    job.send_signal(signal.SIGTERM)
    job.stderr.read()
    assert job.wait(timeout=120) == 143
    assert opt.failure.read_text().startswith("stopped by SIGTERM")
