"""Verdict cache benchmark: its hit rate on GRPO-like workloads, and items/s of hits against misses.

    .venv/bin/python benchmarks/bench_cache.py [--prompts 8] [--epochs 3] [--items 512]

Hit rate: the CPU demo's model (SmolLM2-135M-Instruct, its config: chat prompts, 8 samples per prompt at
temperature 0.7, 64 new tokens) samples completions for synthetic problems; each epoch samples every prompt
again, as GRPO does, and each group of 8 is one request to a real `rlvr serve` (gsm8k) with the cache on.
An evaluation run twice is the other workload. Items/s: distinct gsm8k, math and code items, scored with
the cache off, then with it on twice (misses, then hits), batches of 64, one server process each.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from rlvr.testing.processes import serve_process

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("bench_cache")
BATCH = 64
STDIO = json.dumps({"tests": [{"stdin": "3 4\n", "stdout": "7\n"}, {"stdin": "10 -2\n", "stdout": "8"}]})


def sample_completions(prompts: int, epochs: int, seed: int) -> list[list[tuple[str, list[str]]]]:
    """Per epoch, (reference, 8 sampled completions) for each prompt, from the CPU demo's model."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rlvr.trainer.data import synthetic_problems
    from rlvr.trainer.models import resolve_model
    from rlvr.trainer.prompts import chat_prompt

    path = resolve_model("smollm2-135m-instruct")
    tokenizer = AutoTokenizer.from_pretrained(path)
    tokenizer.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(path).eval()
    problems = synthetic_problems(prompts, seed=seed)
    torch.manual_seed(seed)
    out = []
    for epoch in range(epochs):
        groups = []
        for start in tqdm(range(0, prompts, 8), desc=f"sampling, epoch {epoch + 1}", unit="batch"):
            batch = problems[start : start + 8]
            texts = [
                tokenizer.apply_chat_template(chat_prompt(p.question, []), tokenize=False, add_generation_prompt=True)
                for p in batch
            ]
            enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
            with torch.no_grad():
                gen = model.generate(
                    **enc, do_sample=True, temperature=0.7, max_new_tokens=64, num_return_sequences=8,
                    pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
                )  # fmt: skip
            decoded = tokenizer.batch_decode(gen[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
            groups += [(p.reference, decoded[i * 8 : (i + 1) * 8]) for i, p in enumerate(batch)]
        out.append(groups)
    return out


def counters(url: str) -> dict[str, float]:
    text = httpx.get(f"{url}/metrics").text
    found = re.findall(r'^rlvr_verdict_cache_lookups_total\{result="(\w+)",verifier="\w+"\} (\S+)$', text, re.M)
    totals = {"hit": 0.0, "miss": 0.0}
    for result, value in found:
        totals[result] += float(value)
    return totals


def post(url: str, verifier: str, items: list[dict]) -> None:
    reply = httpx.post(f"{url}/score", json={"verifier": verifier, "items": items}, timeout=300)
    reply.raise_for_status()


def hit_rates(epochs: list[list[tuple[str, list[str]]]]) -> list[dict[str, Any]]:
    """Hit rate of each epoch of the GRPO-like replay, then of the evaluation run twice."""
    rows = []
    with serve_process({"RLVR_VERIFIERS": "gsm8k"}) as (_, url):
        for number, groups in enumerate(epochs, 1):
            before = counters(url)
            for reference, completions in groups:
                post(url, "gsm8k", [{"completion": c, "reference": reference} for c in completions])
            after = counters(url)
            hits, misses = after["hit"] - before["hit"], after["miss"] - before["miss"]
            distinct = len({(r, c) for r, cs in groups for c in cs})
            rows.append({"workload": f"GRPO epoch {number}", "items": hits + misses, "hit_rate": hits / (hits + misses),
                         "distinct_in_epoch": distinct})  # fmt: skip
    with serve_process({"RLVR_VERIFIERS": "gsm8k"}) as (_, url):
        evaluation = [{"completion": cs[0], "reference": r} for r, cs in epochs[0]]
        post(url, "gsm8k", evaluation)
        before = counters(url)
        post(url, "gsm8k", evaluation)
        after = counters(url)
        hits = after["hit"] - before["hit"]
        rows.append({"workload": "evaluation run twice (2nd run)", "items": len(evaluation),
                     "hit_rate": hits / len(evaluation), "distinct_in_epoch": len(evaluation)})  # fmt: skip
    return rows


def distinct_items(verifier: str, n: int) -> list[dict]:
    rng = random.Random(0)
    if verifier == "gsm8k":
        return [{"completion": f"{k} + {k} = {2 * k}\n#### {2 * k}", "reference": str(2 * k + k % 2)} for k in range(n)]
    if verifier == "math":
        return [
            {"completion": f"\\boxed{{\\frac{{{k}}}{{{k + 1}}}}}", "reference": f"{k}/{k + 1 + k % 2}"}
            for k in range(n)
        ]
    programs = ["a, b = map(int, input().split())\nprint(a + b)", "a, b = map(int, input().split())\nprint(a - b)"]
    return [{"completion": f"```python\n# {k}\n{rng.choice(programs)}\n```", "reference": STDIO} for k in range(n)]


def throughput(n: int) -> list[dict[str, Any]]:
    """items/s with the cache off, then on: first pass (misses), second pass (hits)."""
    rows = []
    for verifier in ("gsm8k", "math", "code"):
        items = distinct_items(verifier, n)
        rates: dict[str, float] = {}
        for setting, passes in (("0", ["off"]), (str(64 << 20), ["miss", "hit"])):
            env = {"RLVR_VERIFIERS": verifier, "RLVR_VERDICT_CACHE_BYTES": setting}
            with serve_process(env) as (_, url):
                post(url, verifier, distinct_items(verifier, n + BATCH)[n:])  # warm: items not measured
                for name in passes:
                    started = time.perf_counter()
                    for start in tqdm(range(0, n, BATCH), desc=f"{verifier} {name}", unit="batch", leave=False):
                        post(url, verifier, items[start : start + BATCH])
                    rates[name] = n / (time.perf_counter() - started)
        rows.append({"verifier": verifier, "items": n, "off": rates["off"], "miss": rates["miss"], "hit": rates["hit"]})
    return rows


def report(rates: list[dict[str, Any]], speeds: list[dict[str, Any]], out: Path) -> None:
    console = Console()
    lines = ["| workload | items | hit rate | distinct (reference, completion) |", "|---|---|---|---|"]
    table = Table(title="verdict cache hit rate (gsm8k, SmolLM2-135M samples, 8 per prompt, T=0.7)")
    for h in ("workload", "items", "hit rate", "distinct"):
        table.add_column(h, justify="right")
    for r in rates:
        cells = [r["workload"], f"{r['items']:.0f}", f"{r['hit_rate']:.1%}", str(r["distinct_in_epoch"])]
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    console.print(table)
    lines += [
        "",
        "| verifier | items/s cache off | items/s misses (on) | items/s hits | hits / off |",
        "|---|---|---|---|---|",
    ]
    table = Table(title=f"items/s over HTTP, batches of {BATCH}, 127.0.0.1")
    for h in ("verifier", "off", "misses", "hits", "hits/off"):
        table.add_column(h, justify="right")
    for r in speeds:
        cells = [r["verifier"], f"{r['off']:.0f}", f"{r['miss']:.0f}", f"{r['hit']:.0f}", f"{r['hit'] / r['off']:.1f}x"]
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    console.print(table)
    out.mkdir(parents=True, exist_ok=True)
    (out / "cache.md").write_text("\n".join(lines) + "\n")
    (out / "cache.json").write_text(json.dumps({"hit_rate": rates, "items_per_s": speeds}, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=8, help="synthetic problems sampled per epoch")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--items", type=int, default=512, help="distinct items per verifier for items/s")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    epochs = sample_completions(args.prompts, args.epochs, args.seed)
    report(hit_rates(epochs), throughput(args.items), args.out)


if __name__ == "__main__":
    main()
