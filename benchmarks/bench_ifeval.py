"""ifeval verifier benchmark: agreement with IFEval's own code, throughput on realistic responses,
latency, and seconds per MiB on hostile shapes.

    .venv/bin/python benchmarks/bench_ifeval.py [--agreement-n 200] [--items 400] [--seconds 10] [--hostile-kib 1024]

Agreement: generated responses (verifiers/ifeval/samples.py), counts set at the boundary, ours vs
if-verifiable's, strict and loose. Throughput: in this process (one core), and through
`rlvr serve --verifiers ifeval` with 2 pool workers on 127.0.0.1. Hostile: every instruction on each
shape. Writes benchmarks/results/ifeval.{json,md} and docs/img/ifeval_hostile.png.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from rlvr.services.verifiers.ifeval import agreement, samples
from rlvr.services.verifiers.ifeval.checks import CHECKS, follows
from rlvr.services.verifiers.ifeval.verifier import IFEvalVerifier
from rlvr.testing.processes import serve_process
from rlvr.trainer.ifeval_tasks import synthetic_ifeval_problems

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("bench_ifeval")


def realistic_items(n: int, seed: int = 0) -> list[dict[str, str]]:
    """Generated responses of a few hundred words against ifeval-synthetic references (1-3 instructions)."""
    rng = random.Random(seed)
    problems = synthetic_ifeval_problems(n, seed=seed)
    return [{"completion": samples.response(rng), "reference": p.reference} for p in problems]


def in_process(items: list[dict[str, str]]) -> dict[str, Any]:
    verifier = IFEvalVerifier()
    verifier.warm_up()
    latencies = []
    for item in tqdm(items, desc="in process", unit="item"):
        started = time.perf_counter()
        verifier.score(item["completion"], item["reference"])
        latencies.append(time.perf_counter() - started)
    cuts = statistics.quantiles(latencies, n=100)
    words = statistics.mean(len(i["completion"].split()) for i in items)
    return {"items_per_s": len(items) / sum(latencies), "p50_ms": cuts[49] * 1e3, "p99_ms": cuts[98] * 1e3,
            "mean_words": words}  # fmt: skip


def through_service(items: list[dict[str, str]], seconds: float, workers: int = 2) -> dict[str, Any]:
    batch = items[:64]
    env = {"RLVR_VERIFIERS": "ifeval", "RLVR_WORKERS": str(workers)}
    with serve_process(env) as (_, url), httpx.Client(base_url=url, timeout=120) as client:
        client.post("/score", json={"items": batch})  # warm: the reference cache
        done, latencies, started = 0, [], time.perf_counter()
        while time.perf_counter() - started < seconds:
            t = time.perf_counter()
            results = client.post("/score", json={"items": batch}).json()["results"]
            latencies.append(time.perf_counter() - t)
            done += sum(r["status"] == "scored" for r in results)
        elapsed = time.perf_counter() - started
    p99 = max(latencies) if len(latencies) < 100 else statistics.quantiles(latencies, n=100)[98]
    return {"workers": workers, "batch": len(batch), "items_per_s": done / elapsed, "batch_p99_s": p99}


def hostile(kib: int) -> list[dict[str, Any]]:
    rows = []
    for unit in tqdm(samples.HOSTILE_UNITS, desc=f"hostile {kib} KiB", unit="shape"):
        text = unit * (kib * 1024 // len(unit))
        mib = len(text) / (1 << 20)
        per_check = {}
        for instruction_id in CHECKS:
            started = time.perf_counter()
            follows(instruction_id, text, samples.HARD_ARGS.get(instruction_id, {}))
            per_check[instruction_id] = (time.perf_counter() - started) / mib
        worst = max(per_check, key=lambda k: per_check[k])
        rows.append({"shape": unit, "s_per_mib": sum(per_check.values()), "worst": worst,
                     "worst_s_per_mib": per_check[worst]})  # fmt: skip
    return rows


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(rows, key=lambda r: r["s_per_mib"])
    fig, ax = plt.subplots(figsize=(8, 7))
    ax.barh([repr(r["shape"]) for r in rows], [r["s_per_mib"] for r in rows], color="#4477aa")
    ax.set_xlabel("seconds per MiB, all 25 instructions (one core)")
    ax.set_title("ifeval verifier: hostile completions")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def _table(title: str, headers: list[str], rows: list[list[str]], lines: list[str]) -> None:
    table = Table(title=title)
    for h in headers:
        table.add_column(h, justify="right")
    lines += [f"\n**{title}**\n", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for cells in rows:
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agreement-n", type=int, default=200, help="generated items per instruction")
    parser.add_argument("--items", type=int, default=400, help="realistic items scored in process")
    parser.add_argument("--seconds", type=float, default=10.0, help="time spent on the service")
    parser.add_argument("--hostile-kib", type=int, default=1024)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    lines: list[str] = []

    agree = agreement.measure(args.agreement_n)
    _table(
        f"agreement with IFEval's code (if-verifiable), {args.agreement_n} generated items per instruction",
        ["instruction / count", "n", "strict", "loose", "followed"],
        [[name, str(r["n"]), f"{r.get('strict', r.get('equal', 0)) / r['n']:.1%}",
          f"{r['loose'] / r['n']:.1%}" if "loose" in r else "-",
          f"{r['followed'] / r['n']:.0%}" if "followed" in r else "-"] for name, r in agree.items()],
        lines,
    )  # fmt: skip
    items = realistic_items(args.items)
    local = in_process(items)
    served = through_service(items, args.seconds)
    _table(
        f"throughput on realistic responses (mean {local['mean_words']:.0f} words, 1-3 instructions)",
        ["where", "items/s", "p50 ms", "p99 ms"],
        [["in process, 1 core", f"{local['items_per_s']:.0f}", f"{local['p50_ms']:.1f}", f"{local['p99_ms']:.1f}"],
         [f"service, {served['workers']} workers, batch {served['batch']}", f"{served['items_per_s']:.0f}", "-",
          f"{served['batch_p99_s'] * 1e3:.0f} (batch)"]],
        lines,
    )  # fmt: skip
    shapes = hostile(args.hostile_kib)
    _table(
        f"hostile completions, {args.hostile_kib} KiB, every instruction in turn",
        ["shape", "s/MiB (all 25)", "slowest instruction", "its s/MiB"],
        [[repr(r["shape"]), f"{r['s_per_mib']:.2f}", r["worst"], f"{r['worst_s_per_mib']:.2f}"] for r in shapes],
        lines,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ifeval.md").write_text("\n".join(lines).strip() + "\n")
    results = {"agreement": agree, "in_process": local, "service": served, "hostile": shapes}
    (args.out / "ifeval.json").write_text(json.dumps(results, indent=1, default=str))
    plot(shapes, ROOT / "docs" / "img" / "ifeval_hostile.png")
    log.info("wrote %s, %s and docs/img/ifeval_hostile.png", args.out / "ifeval.md", args.out / "ifeval.json")


if __name__ == "__main__":
    main()
