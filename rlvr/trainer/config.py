"""Training configuration, declared once: a dataclass per section, loaded from YAML plus CLI overrides.

    cfg = TrainConfig.from_yaml("configs/cpu-demo.yaml", max_steps=3)

Every field has a default and a `help`; `__post_init__` says how to fix a bad value.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from rlvr.client import Endpoint
from rlvr.client.watchdog import MAX_MASKED_BATCHES, MAX_MASKED_FRAC, MaskWatchdog
from rlvr.errors import ConfigError
from rlvr.trainer.data import check_source
from rlvr.trainer.mix import tasks_of

# GRPOConfig arguments that `train._grpo_args` fills from the recipe's fields; extra_grpo_args may not repeat them.
GRPO_ARGS_SET_BY_RECIPE = frozenset(
    {
        "output_dir", "num_generations", "per_device_train_batch_size", "gradient_accumulation_steps",
        "max_completion_length", "temperature", "beta", "learning_rate", "lr_scheduler_type", "warmup_steps",
        "num_train_epochs", "max_steps", "seed", "logging_steps", "save_steps", "save_total_limit", "report_to",
        "reward_weights", "bf16", "use_cpu", "use_vllm", "vllm_mode",
    }
)  # fmt: skip


@dataclass
class TrainConfig:
    """A GRPO run: model, data, prompts, rewards and optimisation (TRL GRPOConfig underneath)."""

    # model
    model: str = field(
        default="smollm2-135m-instruct",
        metadata={"help": "Hub id, checkpoint dir, .gguf file, or the embedded `smollm2-135m-instruct`."},
    )
    lora: bool = field(default=False, metadata={"help": "Train LoRA adapters (peft) instead of all weights."})
    lora_r: int = field(default=16, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA alpha."})
    lora_dropout: float = field(default=0.05, metadata={"help": "LoRA dropout."})
    bf16: bool = field(default=False, metadata={"help": "bf16 weights and compute (GPU)."})
    use_vllm: bool = field(default=False, metadata={"help": "Generate with vLLM (GPU; colocated)."})
    # data and prompts
    data: str = field(
        default="synthetic",
        metadata={
            "help": "Math word problems for the `gsm8k` verifier: `synthetic` (one step), `synthetic:2` (two), a "
            "GSM8K-style JSONL path (`question`/`answer` rows; a train.jsonl beside its test.jsonl), a hub id "
            "(`openai/gsm8k`); code problems for the `code` verifier: `humaneval` (its train split), "
            "`humaneval:all`, `code-stdio`; instruction following for `ifeval`: `ifeval-synthetic`; or a mix "
            "with weights, `synthetic=0.7,code-stdio=0.3`, each problem with its kind's prompts and verifier."
        },
    )
    train_size: int | None = field(
        default=None,
        metadata={"help": "Use at most this many training problems (a mix: this many, default its sources' total)."},
    )
    prompt_style: str = field(default="chat", metadata={"help": "`chat` (instruct models) or `plain` (base models)."})
    shots: int = field(default=2, metadata={"help": "Few-shot examples per prompt, drawn from the training split."})
    # rewards
    rewards: list[Endpoint] = field(
        default_factory=lambda: [Endpoint()],
        metadata={"help": "Reward endpoints; add one per verifier service."},
    )
    # the masking watchdog (rlvr/client/watchdog.py): no run goes on without signal
    max_masked_frac: float = field(
        default=MAX_MASKED_FRAC,
        metadata={
            "help": "A generation batch with more than this fraction of its items masked (not judged) counts "
            "towards max_masked_batches."
        },
    )
    max_masked_batches: int = field(
        default=MAX_MASKED_BATCHES,
        metadata={
            "help": "Training stops after this many such batches in a row (0: never); a batch in which the "
            "service could judge none of its items (all `error`) stops it at once."
        },
    )
    # GRPO
    num_generations: int = field(default=8, metadata={"help": "Completions per prompt (the group size G)."})
    per_device_train_batch_size: int = field(
        default=8, metadata={"help": "Completions per device per step; a multiple of num_generations."}
    )
    gradient_accumulation_steps: int = field(default=1, metadata={"help": "Micro-batches per optimiser step."})
    max_completion_length: int = field(default=256, metadata={"help": "Tokens generated per completion."})
    temperature: float = field(default=1.0, metadata={"help": "Sampling temperature during training."})
    beta: float = field(default=0.04, metadata={"help": "KL coefficient against the reference model."})
    learning_rate: float = field(default=1e-5, metadata={"help": "Peak learning rate."})
    lr_scheduler_type: str = field(default="constant_with_warmup", metadata={"help": "transformers scheduler name."})
    warmup_steps: int = field(default=0, metadata={"help": "Linear warm-up steps."})
    num_train_epochs: float = field(default=1.0, metadata={"help": "Epochs over the training problems."})
    max_steps: int = field(default=-1, metadata={"help": "Stop after this many steps (-1: run the epochs)."})
    seed: int = field(default=0, metadata={"help": "Seed for data, prompts and training."})
    # outputs
    output_dir: str = field(default="runs/default", metadata={"help": "Checkpoints, metrics.jsonl, manifest."})
    logging_steps: int = field(default=1, metadata={"help": "Log metrics every N steps."})
    save_steps: int = field(default=50, metadata={"help": "Checkpoint every N steps."})
    save_total_limit: int | None = field(default=2, metadata={"help": "Checkpoints kept."})
    report_to: list[str] = field(default_factory=lambda: ["tensorboard"], metadata={"help": "Trackers."})
    extra_grpo_args: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "Any other trl.GRPOConfig field, passed through as is."}
    )

    def __post_init__(self) -> None:
        self.rewards = [Endpoint.from_mapping(e, i) for i, e in enumerate(self.rewards)]
        if not self.rewards:
            raise ConfigError("rewards: list at least one endpoint, e.g. [{name: gsm8k, url: http://127.0.0.1:8000}]")
        names = [e.name for e in self.rewards]
        if len(set(names)) != len(names):
            raise ConfigError(f"rewards: endpoint names must be unique, got {names}")
        if self.prompt_style not in ("chat", "plain"):
            raise ConfigError(f"prompt_style must be 'chat' or 'plain', got {self.prompt_style!r}")
        if self.num_generations < 2:
            raise ConfigError("num_generations must be >= 2: GRPO compares completions within a group")
        if self.per_device_train_batch_size % self.num_generations:
            raise ConfigError(
                f"per_device_train_batch_size ({self.per_device_train_batch_size}) must be a multiple of "
                f"num_generations ({self.num_generations})"
            )
        if self.shots < 0:
            raise ConfigError("shots must be >= 0")
        for task in tasks_of(self.data):  # the mix's syntax and each source, now, not after the model has loaded
            check_source(task.source, "train")
        if self.train_size is not None and self.train_size < 1:
            raise ConfigError(f"train_size must be >= 1 (or left out), got {self.train_size}")
        MaskWatchdog(self.max_masked_frac, self.max_masked_batches)  # says what is wrong with either
        clashes = sorted(set(self.extra_grpo_args) & GRPO_ARGS_SET_BY_RECIPE)
        if clashes:
            raise ConfigError(
                f"extra_grpo_args sets {clashes}, which the recipe already sets: use the recipe's own fields "
                "(see rlvr/trainer/config.py) and leave them out of extra_grpo_args"
            )

    @classmethod
    def from_yaml(cls, path: str | Path | None = None, **overrides: Any) -> TrainConfig:
        """Load a YAML file (if given), apply non-None overrides; unknown keys are an error."""
        values: dict[str, Any] = _read_recipe(Path(path)) if path else {}
        values |= {k: v for k, v in overrides.items() if v is not None}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown config keys {unknown}; known: {sorted(known)}")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _read_recipe(path: Path) -> dict[str, Any]:
    """A YAML recipe's fields; a ConfigError names a file that is missing or not a mapping of fields."""
    import yaml  # the trainer extra's; the CLI imports this module in the service image too

    try:
        values = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"recipe {path}: no such file (the recipes that ship are configs/*.yaml)") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"recipe {path}: not YAML: {exc}") from None
    if not isinstance(values, dict):
        raise ConfigError(f"recipe {path}: expected a mapping of fields (model: ..., data: ...), got {values!r}")
    return values
