"""Training metrics on stdout in a form SageMaker's MetricDefinitions scrape, and those definitions.

Each log step prints one line, `rlvr_metrics step=3 loss=0.0123 reward=0.5 rewards/format/mean=0.5 ...`
(finite numbers only); the definition of `reward` is the regex `rlvr_metrics .* reward=(<number>)`.
SageMaker allows at most 40 definitions per job.
"""

from __future__ import annotations

import logging
import math
import re
import sys
from typing import Any

from rlvr.trainer.config import TrainConfig
from rlvr.trainer.mix import is_mix, verifiers_of

PREFIX = "rlvr_metrics"
NUMBER = r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
MAX_DEFINITIONS = 40  # AlgorithmSpecification.MetricDefinitions, botocore model
COMMON = [
    "reward", "loss", "reward_std", "kl", "entropy", "learning_rate", "grad_norm", "epoch",
    "completions/mean_length", "completions/clipped_ratio", "frac_reward_zero_std", "reward_service/masked_frac",
]  # fmt: skip  # keys TRL 1.x's GRPOTrainer and the rlvr reward functions log
DEFAULT_COMPONENTS = ["format", "correctness"]  # every built-in verifier's (gsm8k, math, code)

log = logging.getLogger("rlvr.sagemaker.metrics")


def metrics_to_stdout() -> None:
    """Send the metric lines, bare, to stdout (everything else logs to stderr)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False


def metric_line(step: int, logs: dict[str, Any]) -> str:
    """`rlvr_metrics step=N key=value ...` with the finite numbers of `logs`."""
    pairs = [
        f"{key}={value:.6g}"
        for key, value in logs.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and " " not in key
    ]
    return " ".join([PREFIX, f"step={step}", *pairs])


def stdout_metrics_callback() -> Any:
    """A transformers TrainerCallback printing one metric line per log event (main process only)."""
    from transformers import TrainerCallback

    class StdoutMetrics(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **_: Any) -> None:
            if logs and state.is_world_process_zero:
                log.info(metric_line(state.global_step, logs))

    return StdoutMetrics()


def metric_definitions(cfg: TrainConfig) -> list[dict[str, str]]:
    """`{"Name", "Regex"}` for the common keys, then each reward function's mean and each endpoint's health.

    Reward functions are named as `rlvr.integrations.trl` names them: a component with one endpoint
    or mixed data, `<endpoint>_<component>` with several; components are the endpoint's `weights`, or
    format and correctness. Past 40 the last ones are dropped, with a warning.
    """
    keys = list(COMMON)
    mixed = is_mix(cfg.data)
    for endpoint in cfg.rewards:
        for component in endpoint.weights or DEFAULT_COMPONENTS:
            name = component if mixed or len(cfg.rewards) == 1 else f"{endpoint.name}_{component}"
            keys.append(f"rewards/{name}/mean")
    keys = list(dict.fromkeys(keys))
    keys += [f"reward_service/masked_frac/{verifier}" for verifier in verifiers_of(cfg.data)] if mixed else []
    keys += [f"reward_service/{e.name}/{what}" for e in cfg.rewards for what in ("unscored_frac", "latency_s")]
    if len(keys) > MAX_DEFINITIONS:
        logging.getLogger(__name__).warning(
            "%d metrics exceed SageMaker's %d metric definitions; dropped %s", len(keys), MAX_DEFINITIONS, keys[40:]
        )
    return [{"Name": f"train:{key}", "Regex": f"{PREFIX} .* {re.escape(key)}={NUMBER}"} for key in keys[:40]]
