"""GRPO training (TRL) against reward verifier services over HTTP.

    rlvr train --config configs/cpu-demo.yaml --reward-url http://127.0.0.1:8000 --max-steps 3

Writes to the output dir: checkpoints, `metrics.jsonl` (one line per logging step, with
`rewards/<component>/mean`), TensorBoard events, `run_manifest.json` (config, git commit,
versions, the verifiers that scored the run) and the final model.
"""

from __future__ import annotations

import asyncio
import json
import logging
import platform
import subprocess
import time
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from rlvr.trainer.config import TrainConfig
from rlvr.trainer.data import data_kind, load_problems
from rlvr.trainer.mix import is_mix, load_mix, parse_mix, prompters, stop_kind, verifiers_of
from rlvr.trainer.models import find_model
from rlvr.trainer.prompts import FewShotPrompter, stop_token_ids
from rlvr.trainer.rewards import RewardSetup, build_rewards

log = logging.getLogger(__name__)


class MetricsJsonl(TrainerCallback):
    """Appends every log event, with its step, to `metrics.jsonl`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **_: Any) -> None:
        if logs and state.is_world_process_zero:
            with self.path.open("a") as f:
                f.write(json.dumps({"step": state.global_step, **logs}) + "\n")


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("rlvr", "torch", "transformers", "trl", "peft", "accelerate"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


def write_manifest(cfg: TrainConfig, out: Path, rewards: RewardSetup, model_path: str) -> None:
    manifest = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config": cfg.to_dict(),
        "model_path": model_path,
        "git_commit": _git_commit(),
        "versions": _versions(),
        "verifiers": rewards.verifiers,
        "reward_functions": [f.__name__ for f in rewards.funcs],
        "reward_weights": rewards.weights,
    }
    (out / "run_manifest.json").write_text(json.dumps(manifest, indent=2))


def build_dataset(cfg: TrainConfig) -> Any:
    """Prompts (few-shot, examples from the training split) and references as a `datasets.Dataset`;
    a mix adds each problem's `verifier` (the column its reward functions route by) and `task`."""
    from datasets import Dataset

    if is_mix(cfg.data):
        tasks = parse_mix(cfg.data)
        samples, pools = load_mix(tasks, "train", cfg.train_size, cfg.seed, repeat=True)
        prompt = prompters(tasks, pools, cfg.shots, cfg.prompt_style, cfg.seed)
        rows = [
            {"prompt": prompt[s.task.source](s.problem.question), "reference": s.problem.reference,
             "verifier": s.task.verifier, "task": s.task.source}
            for s in samples
        ]  # fmt: skip
        return Dataset.from_list(rows)
    problems = load_problems(cfg.data, "train", cfg.train_size, cfg.seed)
    prompter = FewShotPrompter(problems, cfg.shots, cfg.prompt_style, cfg.seed, kind=data_kind(cfg.data))
    return Dataset.from_list([{"prompt": prompter(p.question), "reference": p.reference} for p in problems])


def load_policy(cfg: TrainConfig, path: str) -> tuple[Any, Any]:
    """Model and tokenizer from `path` (`find_model`'s), generation stopping where a new question would start."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.bfloat16 if cfg.bf16 else torch.float32)
    eos = model.generation_config.eos_token_id
    eos_ids = [eos] if isinstance(eos, int) else list(eos or [tokenizer.eos_token_id])
    model.generation_config.eos_token_id = eos_ids + [
        t for t in stop_token_ids(tokenizer, cfg.prompt_style, stop_kind(cfg.data)) if t not in eos_ids
    ]
    return model, tokenizer


def _grpo_args(cfg: TrainConfig, weights: list[float]) -> Any:
    """The GRPOConfig of a recipe; config.GRPO_ARGS_SET_BY_RECIPE lists what it sets here."""
    from trl import GRPOConfig

    return GRPOConfig(
        output_dir=cfg.output_dir,
        num_generations=cfg.num_generations,
        per_device_train_batch_size=cfg.per_device_train_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        max_completion_length=cfg.max_completion_length,
        temperature=cfg.temperature,
        beta=cfg.beta,
        learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.lr_scheduler_type,
        warmup_steps=cfg.warmup_steps,
        num_train_epochs=cfg.num_train_epochs,
        max_steps=cfg.max_steps,
        seed=cfg.seed,
        logging_steps=cfg.logging_steps,
        save_steps=cfg.save_steps,
        save_total_limit=cfg.save_total_limit,
        report_to=cfg.report_to,
        reward_weights=weights,
        bf16=cfg.bf16,
        use_cpu=not _cuda(),
        use_vllm=cfg.use_vllm,
        **_vllm_args(cfg),
        **cfg.extra_grpo_args,
    )


def _vllm_args(cfg: TrainConfig) -> dict[str, Any]:
    return {"vllm_mode": "colocate"} if cfg.use_vllm else {}


def _cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _lora(cfg: TrainConfig) -> Any:
    """The LoRA adapters' config (peft), or None to train every weight."""
    if not cfg.lora:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout, target_modules="all-linear",
        task_type="CAUSAL_LM",
    )  # fmt: skip


def _close_clients(trainer: Any, rewards: RewardSetup) -> None:
    loop = getattr(trainer, "async_loop", None)
    for client in rewards.clients:
        if loop is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(client.aclose(), loop).result(timeout=10)


def train(
    cfg: TrainConfig,
    resume: bool | str = False,
    rewards: RewardSetup | None = None,
    callbacks: list[Any] | None = None,
    final_dir: str | Path | None = None,
) -> Path:
    """Run GRPO; returns the output dir. Ctrl-C saves a checkpoint that `resume` continues from.

    `rewards` replaces the configured endpoints (the trainer benchmark's in-process baseline);
    `callbacks` are added to the trainer's; the model goes to `final_dir` (default: `<output_dir>/final`).
    """
    from transformers.trainer_utils import get_last_checkpoint
    from trl import GRPOTrainer

    # transformers 5 renames gradient_checkpointing and warns on every step; TRL still uses the old names.
    warnings.filterwarnings("ignore", message=".*gradient_checkpointing.*", category=FutureWarning)
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    # Mistakes fail fast, before the slow parts: a model or data that is not there, then a service
    # that is down or misconfigured, or (a mix) hosts none of a task's verifier.
    model_path = find_model(cfg.model)
    dataset = build_dataset(cfg)
    rewards = rewards or build_rewards(
        cfg.rewards,
        verifiers=verifiers_of(cfg.data) if is_mix(cfg.data) else None,
        max_masked_frac=cfg.max_masked_frac,
        max_masked_batches=cfg.max_masked_batches,
    )
    model, tokenizer = load_policy(cfg, model_path)
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=list[Any](rewards.funcs),  # async functions: TRL 1.x awaits them together
        args=_grpo_args(cfg, rewards.weights),
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=_lora(cfg),
        callbacks=[MetricsJsonl(out / "metrics.jsonl"), *(callbacks or [])],
    )
    write_manifest(cfg, out, rewards, model_path)
    if resume is True:
        # `--resume` on a fresh output dir (a Job's first pod) starts from scratch instead of failing.
        resume = get_last_checkpoint(str(out)) or False
        log.info("resuming from %s", resume or "scratch: no checkpoint yet")
    try:
        trainer.train(resume_from_checkpoint=resume or None)
    except KeyboardInterrupt:
        log.warning("interrupted at step %d: saving a checkpoint to resume from", trainer.state.global_step)
        trainer._save_checkpoint(trainer.model, trial=None)
        raise
    finally:
        _close_clients(trainer, rewards)
    final = Path(final_dir) if final_dir is not None else out / "final"
    trainer.save_model(str(final))
    tokenizer.save_pretrained(str(final))
    log.info("saved the trained model to %s", final)
    return out
