"""End to end: a tiny Llama (real tokenizer) trains GRPO steps against a real uvicorn verifier service."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from rlvr.services.runtime import Settings
from rlvr.trainer.config import TrainConfig
from rlvr.trainer.train import train


@pytest.mark.slow
def test_two_grpo_steps_against_the_service(tmp_path: Path, tiny_model_dir: Path, serve) -> None:
    url = serve(Settings())
    out = tmp_path / "run"
    cfg = TrainConfig(
        model=str(tiny_model_dir),
        data="synthetic",
        train_size=16,
        shots=1,
        rewards=[{"name": "gsm8k", "url": url, "token_env": None}],
        num_generations=2,
        per_device_train_batch_size=4,
        max_completion_length=8,
        max_steps=2,
        save_steps=1,
        output_dir=str(out),
        report_to=["tensorboard"],
    )
    train(cfg)

    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in rows if "rewards/format/mean" in r]
    assert [r["step"] for r in steps] == [1, 2]
    assert all("rewards/correctness/mean" in r for r in steps)
    assert (out / "checkpoint-2").is_dir() and (out / "final" / "config.json").exists()
    assert list(out.rglob("events.out.tfevents.*"))

    manifest = json.loads((out / "run_manifest.json").read_text())
    assert manifest["verifiers"]["gsm8k"]["name"] == "gsm8k"
    assert manifest["verifiers"]["gsm8k"]["version"] == "1.1.0"
    assert manifest["reward_functions"] == ["format", "correctness"]

    # One /score request per generation batch, whatever the number of components.
    metrics = httpx.get(f"{url}/metrics").text
    assert 'rlvr_requests_total{code="200",route="/score"} 2.0' in metrics


@pytest.mark.slow
def test_two_endpoints_composed_by_configuration(tmp_path: Path, tiny_model_dir: Path, serve) -> None:
    gsm8k_url = serve(Settings())
    math_url = serve(Settings(verifiers=["math"], workers=1, item_deadline_s=2.0))
    out = tmp_path / "run"
    cfg = TrainConfig(
        model=str(tiny_model_dir),
        train_size=16,
        shots=0,
        rewards=[
            {"name": "gsm8k", "url": gsm8k_url, "token_env": None},
            {"name": "math", "url": math_url, "verifier": "math", "weights": {"correctness": 0.5}, "token_env": None},
        ],
        num_generations=2,
        per_device_train_batch_size=4,
        max_completion_length=8,
        max_steps=2,
        save_steps=10,
        output_dir=str(out),
        report_to=[],
    )
    train(cfg)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in rows if "rewards/gsm8k_format/mean" in r]
    assert len(steps) == 2
    assert all({"rewards/gsm8k_correctness/mean", "rewards/math_correctness/mean"} <= set(r) for r in steps)
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert manifest["reward_weights"] == [1.0, 1.0, 0.5]
    assert {v["name"] for v in manifest["verifiers"].values()} == {"gsm8k", "math"}
    for url in (gsm8k_url, math_url):  # one request per endpoint per generation batch
        assert 'rlvr_requests_total{code="200",route="/score"} 2.0' in httpx.get(f"{url}/metrics").text


@pytest.mark.slow
def test_resume_continues_from_the_last_checkpoint(tmp_path: Path, tiny_model_dir: Path, serve) -> None:
    url = serve(Settings())
    common = {
        "model": str(tiny_model_dir),
        "train_size": 16,
        "shots": 0,
        "rewards": [{"name": "gsm8k", "url": url, "token_env": None}],
        "num_generations": 2,
        "per_device_train_batch_size": 4,
        "max_completion_length": 4,
        "save_steps": 1,
        "output_dir": str(tmp_path / "run"),
        "report_to": [],
    }
    train(TrainConfig(**common, max_steps=1), resume=True)  # nothing to resume yet: starts from scratch
    train(TrainConfig(**common, max_steps=2), resume=True)
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if "rewards/format/mean" in r] == [1, 2]  # step 1 not repeated
    assert (tmp_path / "run" / "checkpoint-2").is_dir()
