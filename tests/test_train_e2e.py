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
    assert manifest["verifiers"]["gsm8k"]["version"] == "1.2.0"
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


@pytest.mark.slow
def test_trl_trains_on_exactly_the_weighted_components_and_masks_across_endpoints(
    tmp_path: Path, tiny_model_dir: Path, serve
) -> None:
    """Known per-item components (tests/plugins/parity.py): items with an "odd" reference score a=0.5,
    b=1.0 on one endpoint and c=0.75 on the other; "even" ones a=0.25, b=2.0 on the first and time
    out on the second, so they must be left out of *every* function. What TRL logs then has one
    right value."""
    parity_url = serve(Settings(verifiers=["tests.plugins.parity:ParityVerifier"]))
    odd_url = serve(Settings(verifiers=["tests.plugins.parity:OddOnlyVerifier"], workers=1, item_deadline_s=0.3))
    out = tmp_path / "run"
    cfg = TrainConfig(
        model=str(tiny_model_dir),
        train_size=16,
        shots=0,
        prompt_style="plain",
        rewards=[
            {"name": "pa", "url": parity_url, "weights": {"a": 2.0, "b": 0.5}, "token_env": None},
            {"name": "pb", "url": odd_url, "weights": {"c": 3.0}, "token_env": None},
        ],
        num_generations=2,
        per_device_train_batch_size=4,
        max_completion_length=8,
        max_steps=3,
        save_steps=10,
        output_dir=str(out),
        report_to=[],
    )
    train(cfg)
    steps = [r for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines()) if "reward" in r]
    assert len(steps) == 3
    masked = [r["reward_service/masked_frac"] for r in steps]
    assert 0 < sum(masked) < len(masked)  # some rows masked, some trained on (the seeded problems' references)
    for r in steps:
        if r["reward_service/masked_frac"] == 1.0:
            continue  # every row masked: nothing to check but that nothing was invented
        # Only odd rows survive: any leak of an even row (a=0.25, b=2.0) would move these means.
        assert r["rewards/pa_a/mean"] == pytest.approx(0.5)
        assert r["rewards/pa_b/mean"] == pytest.approx(1.0)
        assert r["rewards/pb_c/mean"] == pytest.approx(0.75)
        assert r["reward"] == pytest.approx(2.0 * 0.5 + 0.5 * 1.0 + 3.0 * 0.75)  # sum of w_i * component_i
        assert r["reward_service/pb/unscored_frac"] == pytest.approx(r["reward_service/masked_frac"])
        assert r["reward_service/pa/unscored_frac"] == 0.0
    # The odd-only service's own record of c (sum / count of what it scored) equals TRL's mean.
    metrics = httpx.get(f"{odd_url}/metrics").text
    total = float(
        next(line.split()[-1] for line in metrics.splitlines() if line.startswith("rlvr_reward_component_sum"))
    )
    count = float(
        next(line.split()[-1] for line in metrics.splitlines() if line.startswith("rlvr_reward_component_count"))
    )
    assert count > 0 and total / count == pytest.approx(0.75)
