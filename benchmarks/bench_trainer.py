"""Trainer benchmark: the same short GRPO run with an in-process reward and with the remote service.

    .venv/bin/python benchmarks/bench_trainer.py [--steps 5] [--model smollm2-135m-instruct]

Same model, seed, data and steps; the remote run scores through `rlvr serve` on 127.0.0.1.
Reports mean step time (TRL's `step_time`, first step excluded as warm-up) and the ratio.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rlvr.client import Endpoint, completion_text  # noqa: E402
from rlvr.services.verifiers.gsm8k import GSM8KVerifier  # noqa: E402
from rlvr.trainer.config import TrainConfig  # noqa: E402
from rlvr.trainer.demo import managed_service  # noqa: E402
from rlvr.trainer.rewards import RewardSetup  # noqa: E402
from rlvr.trainer.train import train  # noqa: E402

log = logging.getLogger("bench_trainer")


def in_process_rewards() -> RewardSetup:
    """format and correctness computed in the trainer process by the same verifier."""
    verifier = GSM8KVerifier()

    def component(name: str) -> Any:
        def reward(completions: list[Any], reference: list[str], **_: Any) -> list[float]:
            return [
                verifier.score(completion_text(c), r).components[name]
                for c, r in zip(completions, reference, strict=True)
            ]

        reward.__name__ = name
        return reward

    funcs = [component("format"), component("correctness")]
    return RewardSetup(funcs=funcs, weights=[1.0, 1.0], clients=[], verifiers={})


def column(out: Path, key: str) -> list[float]:
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return [r[key] for r in rows if key in r]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    def config(name: str, url: str = "http://127.0.0.1:1") -> TrainConfig:
        return TrainConfig(
            model=args.model,
            shots=0,
            rewards=[Endpoint(name="gsm8k", url=url, token_env=None)],
            num_generations=4,
            per_device_train_batch_size=8,
            max_completion_length=32,
            max_steps=args.steps,
            save_steps=10_000,
            report_to=[],
            output_dir=str(args.out / "trainer-bench" / name),
            extra_grpo_args={"gradient_checkpointing": False},
        )

    results = {}
    for name in ("in_process", "remote"):
        out = Path(config(name).output_dir)
        if out.exists():
            for f in out.glob("metrics.jsonl"):
                f.unlink()
        if name == "in_process":
            train(config(name), rewards=in_process_rewards())
        else:
            with managed_service() as url:
                train(config(name, url))
        times = column(out, "step_time")[1:]  # the first step includes warm-up
        results[name] = {"mean_step_s": statistics.mean(times), "steps": len(times)}
        if name == "remote":  # the reward request's own wall time, as the trainer logged it
            results[name]["mean_reward_latency_s"] = statistics.mean(column(out, "reward_service/gsm8k/latency_s")[1:])
    ratio = results["remote"]["mean_step_s"] / results["in_process"]["mean_step_s"]
    summary = {**results, "ratio_remote_over_in_process": ratio}
    line = (
        f"mean step time: in-process {results['in_process']['mean_step_s']:.2f}s, "
        f"remote {results['remote']['mean_step_s']:.2f}s, ratio {ratio:.3f} (target <= 1.03); "
        f"the reward request itself: {results['remote']['mean_reward_latency_s'] * 1000:.1f} ms per step"
    )
    log.warning(line)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "trainer.json").write_text(json.dumps(summary, indent=2))
    (args.out / "trainer.md").write_text(line + "\n")


if __name__ == "__main__":
    main()
