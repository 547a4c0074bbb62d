"""The whole loop on one machine: start the verifier service, evaluate, train against it, evaluate again.

    rlvr demo [--config configs/cpu-demo.yaml] [--data openai/gsm8k]

The service runs as a child process (`rlvr serve`) on a free loopback port, hosting every verifier
the recipe needs (a mix's tasks' and its endpoints'), and is stopped on the way out, whether the
demo finished, failed or was interrupted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rlvr.testing.processes import serve_process
from rlvr.trainer.config import TrainConfig
from rlvr.trainer.data import split_path
from rlvr.trainer.evaluate import EvalConfig, evaluate, write_report
from rlvr.trainer.mix import verifiers_of
from rlvr.trainer.plots import plot_reward_curve

log = logging.getLogger(__name__)


def demo_verifiers(cfg: TrainConfig) -> list[str]:
    """The verifiers the demo's service hosts: those of the data's tasks, then any an endpoint names
    (the first is the data's: the one an endpoint naming none scores with).

    >>> demo_verifiers(TrainConfig(data="synthetic=0.7,code-stdio=0.3"))
    ['gsm8k', 'code']
    """
    named = [e.verifier for e in cfg.rewards if e.verifier is not None]
    return list(dict.fromkeys([*verifiers_of(cfg.data), *named]))


@contextmanager
def managed_service(verifiers: list[str] | None = None, start_timeout_s: float = 120.0) -> Iterator[str]:
    """Run `rlvr serve` hosting `verifiers` (default: the service's own) on 127.0.0.1 until the block
    exits (normally, by exception or Ctrl-C). The first is the default for requests naming none."""
    env = {"RLVR_VERIFIERS": ",".join(verifiers), "RLVR_DEFAULT_VERIFIER": verifiers[0]} if verifiers else {}
    with serve_process(env, start_timeout_s) as (proc, url):
        log.info("verifier service hosting %s ready at %s (pid %d)", verifiers or "its default", url, proc.pid)
        yield url
    log.info("verifier service stopped")


def run_demo(
    config: Path, data: str | None, n: int, shots: list[int], max_steps: int | None, out_dir: str
) -> dict[str, Any]:
    """Evaluate the base model, train it, evaluate both; returns the final evaluation report."""
    cfg = TrainConfig.from_yaml(config, data=data, max_steps=max_steps, output_dir=f"{out_dir}/train")
    eval_common: dict[str, Any] = {
        "data": split_path(cfg.data, "test"),
        "n": n,
        "shots": shots,
        "prompt_style": cfg.prompt_style,
        "max_new_tokens": cfg.max_completion_length,
        "seed": cfg.seed,
    }
    with managed_service(demo_verifiers(cfg)) as url:
        for endpoint in cfg.rewards:
            endpoint.url = url
        before = evaluate(EvalConfig(models=[cfg.model], reward_url=url, out_dir=f"{out_dir}/before", **eval_common))
        log.info("before training:\n%s", before["table"])
        from rlvr.trainer.train import train

        train(cfg)
        after = evaluate(EvalConfig(models=[cfg.output_dir], reward_url=url, out_dir=f"{out_dir}/after", **eval_common))
    trained = f"{cfg.model} (GRPO, {cfg.max_steps} steps)"
    both = [{**r, "model": f"{r['model']} (base)"} for r in before["records"]]
    both += [{**r, "model": trained} for r in after["records"]]
    plot_reward_curve(Path(cfg.output_dir) / "metrics.jsonl", Path(out_dir) / "reward_curve.png")
    return write_report(both, {"train": cfg.to_dict(), "eval": eval_common}, Path(out_dir))
