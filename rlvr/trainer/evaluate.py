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
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from rlvr.client import Endpoint, RewardClient
from rlvr.services.protocol import ItemResult, ScoreItem
from rlvr.trainer.data import data_kind, load_problems, same_file, split_path
from rlvr.trainer.eval_config import EvalConfig
from rlvr.trainer.plots import plot
from rlvr.trainer.problem import Problem
from rlvr.trainer.prompts import FewShotPrompter, stop_token_ids

log = logging.getLogger(__name__)


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
    url = cfg.reward_url or f"inprocess://{cfg.verifier}"
    client = RewardClient(Endpoint(name="eval", url=url, verifier=cfg.verifier, token=cfg.token))

    async def run() -> list[ItemResult]:
        try:
            return await client.score(items)
        finally:
            await client.aclose()

    return asyncio.run(run())


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
