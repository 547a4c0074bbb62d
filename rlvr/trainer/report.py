"""The evaluation report: accuracy and format rate per model and few-shot count (per task and overall
for a mix), as `results.json`, a markdown table and a PNG plot.

>>> rows = [{"model": "m", "shots": 0, "task": t, "correct": c, "formatted": c, "status": "scored"}
...         for t, c in [("synthetic", True), ("code-stdio", False)]]
>>> [(s["task"], s["accuracy"]) for s in summarise(rows)]
[('synthetic', 1.0), ('code-stdio', 0.0), ('all', 0.5)]
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from rlvr.trainer.plots import plot

log = logging.getLogger(__name__)

ALL = "all"  # the row of a mix's every task together


def _row(model: str, k: int, task: str, rs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "model": model,
        "shots": k,
        "task": task,
        "n": len(rs),
        "accuracy": sum(r["correct"] for r in rs) / len(rs),
        "format_rate": sum(r["formatted"] for r in rs) / len(rs),
        # counted as not correct in `accuracy`, and shown: a verifier that could not judge is not a wrong answer
        "unscored": sum(r["status"] != "scored" for r in rs),
    }


def summarise(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Accuracy and format rate per (model, k), in the order first seen; with several tasks, per
    task then over all of them (`task` "all": every problem counts once)."""
    groups: dict[tuple[str, int], dict[str, list[dict[str, Any]]]] = {}
    for r in records:
        groups.setdefault((r["model"], r["shots"]), {}).setdefault(r.get("task", ""), []).append(r)
    summary = []
    for (model, k), tasks in groups.items():
        summary += [_row(model, k, task, rs) for task, rs in tasks.items()]
        if len(tasks) > 1:
            summary.append(_row(model, k, ALL, [r for rs in tasks.values() for r in rs]))
    return summary


def mixed(summary: list[dict[str, Any]]) -> bool:
    return any(s.get("task") == ALL for s in summary)


def markdown_table(summary: list[dict[str, Any]]) -> str:
    """Rows: models (and, for a mix, their tasks); columns: accuracy (format rate) per k, and the items
    the verifier could not score."""
    shots = sorted({s["shots"] for s in summary})
    by_task = mixed(summary)
    rows = list(dict.fromkeys((s["model"], s.get("task", "") if by_task else "") for s in summary))
    cell = {(s["model"], s.get("task", "") if by_task else "", s["shots"]): s for s in summary}
    head = "| model | task |" if by_task else "| model |"
    lines = [
        head + " " + " | ".join(f"k={k} acc (fmt)" for k in shots) + " | unscored |",
        "|---|" + ("---|" if by_task else "") + "---|" * len(shots) + "---|",
    ]
    for m, t in rows:
        found = [cell[m, t, k] for k in shots if (m, t, k) in cell]
        values = [
            f"{cell[m, t, k]['accuracy']:.0%} ({cell[m, t, k]['format_rate']:.0%})" if (m, t, k) in cell else "-"
            for k in shots
        ]
        label = f"| {m} | {t} |" if by_task else f"| {m} |"
        unscored, total = sum(s.get("unscored", 0) for s in found), sum(s["n"] for s in found)
        lines.append(label + " " + " | ".join(values) + f" | {unscored}/{total} |")
    return "\n".join(lines) + "\n"


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
