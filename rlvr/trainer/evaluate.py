"""Greedy evaluation by few-shot count, scored by the same verifier that produced the training reward.

    rlvr eval --model smollm2-135m-instruct --model runs/cpu-demo --data synthetic --n 100 --shots 0,1,2,4,8

Writes `results.json` (one record per model, k and problem), `results.md` (accuracy and format
rate per k, per model) and `accuracy.png` (accuracy vs k, one line per model). A mix
(`--data synthetic=0.5,code-stdio=0.5`) prompts and judges each problem by its kind and reports
each task and all of them together (rlvr.trainer.report).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from rlvr.client import Endpoint, RewardClient
from rlvr.errors import ConfigError
from rlvr.services.protocol import ItemResult, ScoreItem
from rlvr.trainer.data import load_problems, same_file, split_path
from rlvr.trainer.eval_config import EvalConfig
from rlvr.trainer.mix import Sample, Task, is_mix, load_mix, parse_mix, prompters, stop_kind
from rlvr.trainer.models import find_model
from rlvr.trainer.problem import Problem
from rlvr.trainer.prompts import stop_token_ids
from rlvr.trainer.report import markdown_table, summarise, write_report

__all__ = ["EvalConfig", "evaluate", "markdown_table", "score", "summarise", "write_report"]

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
        raise ConfigError(f"dtype bf16 needs a GPU with bf16 support; this machine evaluates on {device}")
    use_bf16 = requested == "bf16" or (requested == "auto" and bf16_ok)
    return device, torch.bfloat16 if use_bf16 else torch.float32


def _load(name: str, device: str, dtype: Any) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(find_model(name))
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

    stop = stop_token_ids(tokenizer, style, stop_kind(cfg.data))
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


def score(
    completions: list[str], problems: list[Problem], cfg: EvalConfig, verifiers: list[str] | None = None
) -> list[ItemResult]:
    """Results from the service at `reward_url`, or from the same verifier(s) in-process; `verifiers`
    names each item's (a mix: one request, each item judged by its own)."""
    items = [
        ScoreItem(id=str(i), completion=c, reference=p.reference, verifier=verifiers[i] if verifiers else None)
        for i, (c, p) in enumerate(zip(completions, problems, strict=True))
    ]
    client = _client(cfg, verifiers)

    async def run() -> list[ItemResult]:
        try:
            return await client.score(items)
        finally:
            await client.aclose()

    return asyncio.run(run())


def _client(cfg: EvalConfig, verifiers: list[str] | None) -> RewardClient:
    """A client of the service at `reward_url`, or of the verifier(s) in-process."""
    hosted = list(dict.fromkeys(verifiers)) if verifiers else [cfg.verifier]
    url = cfg.reward_url or f"inprocess://{','.join(map(str, hosted))}"
    endpoint = Endpoint(
        name="eval", url=url, verifier=None if verifiers else cfg.verifier, token=cfg.token, deadline_s=cfg.deadline_s
    )
    return RewardClient(endpoint)


def check_scoring(cfg: EvalConfig, verifiers: list[str] | None) -> None:
    """Before any model loads: the verifiers exist, and the service at `reward_url` answers and hosts them."""
    client = _client(cfg, verifiers)  # in-process: loads them (an unknown name is an UnknownVerifierError)
    hosted = {v.name for v in client.describe().verifiers}
    missing = sorted(set(verifiers or [str(cfg.verifier)]) - hosted)
    if missing:
        raise ConfigError(
            f"the reward service {client.url} hosts {sorted(hosted)}, not {missing}: point --reward-url at one that "
            f"does, or start one with RLVR_VERIFIERS naming them"
        )


def evaluate(cfg: EvalConfig) -> dict[str, Any]:
    """Generate, score and report for every model and k; returns the summary and file paths."""
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tasks, samples, pools = evaluation_set(cfg)
    problems = [s.problem for s in samples]
    verifiers = [s.task.verifier for s in samples] if is_mix(cfg.data) else None
    check_scoring(cfg, verifiers)
    for name in cfg.models:
        find_model(name)  # every model is there before the first one is evaluated
    device, dtype = device_and_dtype(cfg.dtype)
    log.info("evaluating on %s (%s), %s prompts", device, str(dtype).removeprefix("torch."), cfg.prompt_style)
    records: list[dict[str, Any]] = []
    for name in cfg.models:
        model, tokenizer = _load(name, device, dtype)
        style = cfg.prompt_style
        label = model_label(name)
        for k in cfg.shots:
            prompt = prompters(tasks, pools, k, style, cfg.seed)
            prompts = [prompt[s.task.source](s.problem.question) for s in samples]
            completions = generate(model, tokenizer, prompts, cfg, style, desc=f"{label} k={k}")
            results = score(completions, problems, cfg, verifiers)
            for sample, text, completion, result in zip(samples, prompts, completions, results, strict=True):
                records.append(_record(label, k, sample, text, completion, result))
    return write_report(records, asdict(cfg) | {"device": device, "torch_dtype": str(dtype)}, out)


def _record(label: str, k: int, sample: Sample, prompt: Any, completion: str, result: ItemResult) -> dict[str, Any]:
    p = sample.problem
    return {
        "model": label,
        "shots": k,
        "task": sample.task.source,
        "verifier": sample.task.verifier,
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


def evaluation_set(cfg: EvalConfig) -> tuple[list[Task], list[Sample], dict[str, list[Problem]]]:
    """The tasks, the test problems (the first of each source's test split) and each source's few-shot pool."""
    if is_mix(cfg.data):
        tasks = parse_mix(cfg.data)
        samples, _ = load_mix(tasks, "test", cfg.n, cfg.seed, repeat=False)
    else:
        tasks = [Task(cfg.data)]
        samples = [Sample(tasks[0], p) for p in load_problems(cfg.data, "test", cfg.n, cfg.seed)]
    pools = {
        t.source: fewshot_pool(cfg, [s.problem for s in samples if s.task == t], t.source if len(tasks) > 1 else None)
        for t in tasks
    }
    return tasks, samples, pools


def fewshot_pool(cfg: EvalConfig, problems: list[Problem], source: str | None = None) -> list[Problem]:
    """Few-shot examples from the training split of `source` (default: `fewshot_data`, else `data`),
    never from the evaluation file or its questions."""
    if max(cfg.shots) == 0:
        return []
    data = source or cfg.data
    examples = source or cfg.fewshot_data or cfg.data
    if same_file(split_path(examples, "train"), split_path(data, "test")):
        raise ConfigError(
            f"few-shot examples would be drawn from the evaluation file {split_path(data, 'test')}: "
            "pass the training split with --fewshot-data, or name a train.jsonl/test.jsonl pair"
        )
    test_questions = {p.question for p in problems}
    return [p for p in load_problems(examples, "train", None, cfg.seed) if p.question not in test_questions]
