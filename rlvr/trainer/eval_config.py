"""What `rlvr eval` evaluates and how: one dataclass, whose fields and `help` are also the CLI's options."""

from __future__ import annotations

from dataclasses import dataclass, field

from rlvr.errors import ConfigError
from rlvr.trainer.data import check_source, data_kind
from rlvr.trainer.mix import is_mix, parse_mix, tasks_of


@dataclass
class EvalConfig:
    """What to evaluate and how."""

    models: list[str] = field(
        default_factory=lambda: ["smollm2-135m-instruct"], metadata={"help": "Models to compare."}
    )
    data: str = field(
        default="synthetic",
        metadata={
            "help": "`synthetic` (`synthetic:2`: two steps), a GSM8K JSONL (its `test` split is read: train.jsonl -> "
            "test.jsonl), a hub id (`openai/gsm8k`), or code: `humaneval` (its test split), `humaneval:all`, "
            "`code-stdio`; or instruction following: `ifeval-synthetic`, `google/IFEval`, an IFEval JSONL; or a mix, "
            "`synthetic=0.5,code-stdio=0.5` (n split by weight), reported per task and overall."
        },
    )
    fewshot_data: str | None = field(
        default=None,
        metadata={
            "help": "Where few-shot examples come from (default: the training split of `data`); never the eval file."
        },
    )
    n: int = field(default=100, metadata={"help": "Evaluation problems (the first n of the test split)."})
    shots: list[int] = field(default_factory=lambda: [0, 1, 2, 4, 8], metadata={"help": "Few-shot counts."})
    prompt_style: str = field(
        default="plain",
        metadata={
            "help": "`plain` (the published recipe's, right for base models) or `chat` (instruction-tuned "
            "models); a base model's tokenizer may carry a chat template (Qwen2.5 base does), so it is never guessed."
        },
    )
    dtype: str = field(
        default="auto", metadata={"help": "`auto` (bf16 on a GPU that supports it, else fp32), `bf16` or `fp32`."}
    )
    reward_url: str | None = field(
        default=None, metadata={"help": "Score through this service; None scores in-process."}
    )
    verifier: str | None = field(
        default=None,
        metadata={
            "help": "Verifier to score with (default: `code` for code data, else `gsm8k`; a mix: each task's own)."
        },
    )
    token: str | None = field(default=None, metadata={"help": "Bearer token for reward_url."})
    deadline_s: float = field(
        default=120.0, metadata={"help": "Total time to score one batch through reward_url, retries included."}
    )
    max_new_tokens: int = field(default=256, metadata={"help": "Tokens generated per problem."})
    batch_size: int = field(default=16, metadata={"help": "Problems generated together."})
    seed: int = field(default=0, metadata={"help": "Seed for few-shot example choice."})
    out_dir: str = field(default="runs/eval", metadata={"help": "Where results.json, results.md, accuracy.png go."})

    def __post_init__(self) -> None:
        for task in tasks_of(self.data):
            check_source(task.source, "test")  # before any model loads
        if is_mix(self.data):
            self._check_mix()
        elif self.verifier is None:
            self.verifier = {"code": "code", "ifeval": "ifeval"}.get(data_kind(self.data), "gsm8k")
        if not self.models:
            raise ConfigError("name at least one --model")
        if self.n < 1 or self.batch_size < 1 or self.max_new_tokens < 1:
            raise ConfigError("n, batch_size and max_new_tokens must be >= 1")
        if any(k < 0 for k in self.shots):
            raise ConfigError(f"shots must be >= 0, got {self.shots}")
        if self.prompt_style not in ("chat", "plain"):
            raise ConfigError(f"prompt_style must be 'chat' or 'plain', got {self.prompt_style!r}")
        if not is_mix(self.data) and data_kind(self.data) == "code" and self.verifier != "code":
            raise ConfigError(
                f"{self.data} holds code problems: evaluate them with --verifier code "
                "(and --reward-url of a code service, or in-process where the sandbox runs)"
            )
        if data_kind(self.data) == "ifeval" and self.verifier != "ifeval":
            raise ConfigError(f"{self.data} holds instruction-following problems: evaluate them with --verifier ifeval")
        if self.dtype not in ("auto", "bf16", "fp32"):
            raise ConfigError(f"dtype must be 'auto', 'bf16' or 'fp32', got {self.dtype!r}")

    def _check_mix(self) -> None:
        tasks = parse_mix(self.data)
        if self.verifier is not None:
            judges = ", ".join(f"{t.verifier} for {t.source}" for t in tasks)
            raise ConfigError(f"a mix judges each task with its own verifier ({judges}): leave --verifier out")
        if self.fewshot_data is not None:
            raise ConfigError(
                "a mix draws few-shot examples from each source's own training split: leave --fewshot-data out"
            )
