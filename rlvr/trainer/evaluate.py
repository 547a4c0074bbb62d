"""Greedy evaluation by few-shot count, scored by the same verifier that produced the training reward.

    rlvr eval --model smollm2-135m-instruct --model runs/cpu-demo --data synthetic --n 100 --shots 0,1,2,4,8

Writes `results.json` (one record per model, k and problem), `results.md` (accuracy and format
rate per k, per model) and `accuracy.png` (accuracy vs k, one line per model).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from rlvr.services.protocol import ItemResult, ScoreItem
from rlvr.trainer.data import Problem, data_kind, load_problems, same_file, split_path
from rlvr.trainer.plots import plot
from rlvr.trainer.prompts import FewShotPrompter, stop_token_ids
from rlvr.trainer.reward_client import RewardClient

log = logging.getLogger(__name__)


@dataclass
class EvalConfig:
    """What to evaluate and how."""

    models: list[str] = field(
        default_factory=lambda: ["smollm2-135m-instruct"], metadata={"help": "Models to compare."}
    )
    data: str = field(
        default="synthetic",
        metadata={
            "help": "`synthetic`, a GSM8K JSONL (its `test` split is read: train.jsonl -> test.jsonl), a hub id, "
            "or code: `humaneval` (its test split), `humaneval:all`, `code-stdio`; or instruction following: "
            "`ifeval-synthetic`, `google/IFEval`, an IFEval JSONL."
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
    verifier: str = field(default="gsm8k", metadata={"help": "Verifier name."})
    token: str | None = field(default=None, metadata={"help": "Bearer token for reward_url."})
    max_new_tokens: int = field(default=256, metadata={"help": "Tokens generated per problem."})
    batch_size: int = field(default=16, metadata={"help": "Problems generated together."})
    seed: int = field(default=0, metadata={"help": "Seed for few-shot example choice."})
    out_dir: str = field(default="runs/eval", metadata={"help": "Where results.json, results.md, accuracy.png go."})

    def __post_init__(self) -> None:
        if not self.models:
            raise ValueError("name at least one --model")
        if self.n < 1 or self.batch_size < 1 or self.max_new_tokens < 1:
            raise ValueError("n, batch_size and max_new_tokens must be >= 1")
        if any(k < 0 for k in self.shots):
            raise ValueError(f"shots must be >= 0, got {self.shots}")
        if self.prompt_style not in ("chat", "plain"):
            raise ValueError(f"prompt_style must be 'chat' or 'plain', got {self.prompt_style!r}")
        if data_kind(self.data) == "code" and self.verifier != "code":
            raise ValueError(
                f"{self.data} holds code problems: evaluate them with --verifier code "
                "(and --reward-url of a code service, or in-process where the sandbox runs)"
            )
        if data_kind(self.data) == "ifeval" and self.verifier != "ifeval":
            raise ValueError(f"{self.data} holds instruction-following problems: evaluate them with --verifier ifeval")
        if self.dtype not in ("auto", "bf16", "fp32"):
            raise ValueError(f"dtype must be 'auto', 'bf16' or 'fp32', got {self.dtype!r}")


def model_label(name: str) -> str:
    path = Path(name)
    return path.parent.name if path.name == "final" else path.name or name


def device_and_dtype(requested: str) -> tuple[str, Any]:
    """The accelerator when there is one (CUDA, then Apple MPS), else the CPU; bf16 where it runs."""
    import torch

    if torch.cuda.is_available():
        device = "cuda"
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = "mps"
    else:
        device = "cpu"
    bf16_ok = device == "cuda" and torch.cuda.is_bf16_supported()
    if requested == "bf16" and not bf16_ok:
        raise ValueError(f"dtype bf16 needs a GPU with bf16 support; this machine evaluates on {device}")
    use_bf16 = requested == "bf16" or (requested == "auto" and bf16_ok)
    return device, torch.bfloat16 if use_bf16 else torch.float32


def _load(name: str, device: str, dtype: Any) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rlvr.trainer.models import resolve_model

    path = Path(resolve_model(name))
    if (path / "final").is_dir() and not (path / "config.json").exists():
        path = path / "final"  # a training output dir: evaluate its final model
    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    model.to(device)  # type: ignore[arg-type]  # transformers types .to() oddly; a str device is fine
    model.eval()
    return model, tokenizer


def generate(model: Any, tokenizer: Any, prompts: Sequence[Any], cfg: EvalConfig, style: str, desc: str) -> list[str]:
    """Greedy completions, batched, with a progress bar."""
    import torch

    stop = stop_token_ids(tokenizer, style, data_kind(cfg.data))
    eos = model.generation_config.eos_token_id
    eos_ids = ([eos] if isinstance(eos, int) else list(eos or [])) + stop
    outputs: list[str] = []
    for start in tqdm(range(0, len(prompts), cfg.batch_size), desc=desc, unit="batch"):
        batch = prompts[start : start + cfg.batch_size]
        if style == "chat":
            texts = [tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True) for p in batch]
        else:
            texts = list(batch)
        enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=style != "chat").to(model.device)
        with torch.no_grad():
            out = model.generate(
                **enc,
                max_new_tokens=cfg.max_new_tokens,
                do_sample=False,
                eos_token_id=eos_ids,
                pad_token_id=tokenizer.pad_token_id,
            )
        new = out[:, enc["input_ids"].shape[1] :]
        outputs += tokenizer.batch_decode(new, skip_special_tokens=True)
    return outputs


def score(completions: list[str], problems: list[Problem], cfg: EvalConfig) -> list[ItemResult]:
    """Results from the service at `reward_url`, or from the same verifier in-process."""
    items = [
        ScoreItem(id=str(i), completion=c, reference=p.reference)
        for i, (c, p) in enumerate(zip(completions, problems, strict=True))
    ]
    if cfg.reward_url:
        client = RewardClient(cfg.reward_url, verifier=cfg.verifier, token=cfg.token)

        async def run() -> list[ItemResult]:
            try:
                return await client.score(items)
            finally:
                await client.aclose()

        return asyncio.run(run())
    from rlvr.services.runtime.scoring import score_batch
    from rlvr.services.verifiers.registry import load_verifier

    outcomes = score_batch(load_verifier(cfg.verifier), [(i.completion, i.reference) for i in items])
    return [o.to_result(i.id or "") for i, o in zip(items, outcomes, strict=True)]


def summarise(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Accuracy and format rate per (model, k), in the order first seen."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault((r["model"], r["shots"]), []).append(r)
    return [
        {
            "model": model,
            "shots": k,
            "n": len(rs),
            "accuracy": sum(r["correct"] for r in rs) / len(rs),
            "format_rate": sum(r["formatted"] for r in rs) / len(rs),
            # counted as not correct in `accuracy`, and shown: a verifier that could not judge is not a wrong answer
            "unscored": sum(r["status"] != "scored" for r in rs),
        }
        for (model, k), rs in groups.items()
    ]


def markdown_table(summary: list[dict[str, Any]]) -> str:
    """Rows: models; columns: accuracy (format rate) per k, and the items the verifier could not score."""
    shots = sorted({s["shots"] for s in summary})
    models = list(dict.fromkeys(s["model"] for s in summary))
    cell = {(s["model"], s["shots"]): s for s in summary}
    lines = [
        "| model | " + " | ".join(f"k={k} acc (fmt)" for k in shots) + " | unscored |",
        "|---|" + "---|" * len(shots) + "---|",
    ]
    for m in models:
        row = [
            f"{cell[m, k]['accuracy']:.0%} ({cell[m, k]['format_rate']:.0%})" if (m, k) in cell else "-" for k in shots
        ]
        unscored = sum(cell[m, k].get("unscored", 0) for k in shots if (m, k) in cell)
        total = sum(cell[m, k]["n"] for k in shots if (m, k) in cell)
        lines.append(f"| {m} | " + " | ".join(row) + f" | {unscored}/{total} |")
    return "\n".join(lines) + "\n"


def evaluate(cfg: EvalConfig) -> dict[str, Any]:
    """Generate, score and report for every model and k; returns the summary and file paths."""
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    problems = load_problems(cfg.data, "test", cfg.n, cfg.seed)
    pool = fewshot_pool(cfg, problems)
    device, dtype = device_and_dtype(cfg.dtype)
    log.info("evaluating on %s (%s), %s prompts", device, str(dtype).removeprefix("torch."), cfg.prompt_style)
    records: list[dict[str, Any]] = []
    for name in cfg.models:
        model, tokenizer = _load(name, device, dtype)
        style = cfg.prompt_style
        label = model_label(name)
        for k in cfg.shots:
            prompter = FewShotPrompter(pool, k, style, cfg.seed, kind=data_kind(cfg.data))
            prompts = [prompter(p.question) for p in problems]
            completions = generate(model, tokenizer, prompts, cfg, style, desc=f"{label} k={k}")
            for p, prompt, completion, result in zip(
                problems, prompts, completions, score(completions, problems, cfg), strict=True
            ):
                records.append(
                    {
                        "model": label,
                        "shots": k,
                        "question": p.question,
                        "prompt": prompt,
                        "completion": completion,
                        "reference": p.answer if p.kind == "math" else p.reference,
                        "answer": result.answer,
                        "status": result.status.value,
                        "components": result.components,
                        "flags": result.flags,
                        "correct": result.components.get("correctness", 0.0) > 0,
                        "formatted": result.components.get("format", 0.0) > 0,
                    }
                )
    return write_report(records, asdict(cfg) | {"device": device, "torch_dtype": str(dtype)}, out)


def fewshot_pool(cfg: EvalConfig, problems: list[Problem]) -> list[Problem]:
    """Few-shot examples from the training split, never from the evaluation file or its questions."""
    if max(cfg.shots) == 0:
        return []
    source = cfg.fewshot_data or cfg.data
    if same_file(split_path(source, "train"), split_path(cfg.data, "test")):
        raise ValueError(
            f"few-shot examples would be drawn from the evaluation file {split_path(cfg.data, 'test')}: "
            "pass the training split with --fewshot-data, or name a train.jsonl/test.jsonl pair"
        )
    test_questions = {p.question for p in problems}
    return [p for p in load_problems(source, "train", None, cfg.seed) if p.question not in test_questions]


def write_report(records: list[dict[str, Any]], config: dict[str, Any], out: Path) -> dict[str, Any]:
    """Write results.json, results.md and accuracy.png for these records; returns summary and table."""
    out.mkdir(parents=True, exist_ok=True)
    summary = summarise(records)
    table = markdown_table(summary)
    (out / "results.json").write_text(json.dumps({"config": config, "summary": summary, "records": records}, indent=1))
    (out / "results.md").write_text(table)
    plot(summary, out / "accuracy.png")
    log.info("wrote %s, %s and %s", out / "results.json", out / "results.md", out / "accuracy.png")
    return {"summary": summary, "table": table, "out_dir": str(out), "records": records}
