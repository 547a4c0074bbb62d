"""Plots of evaluation and training: accuracy by few-shot count, reward components by step (PNG)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def line_plot(
    series: dict[str, list[tuple[float, float]]],
    xlabel: str,
    ylabel: str,
    title: str,
    path: Path,
    xticks: list[int] | None = None,
    **style: Any,
) -> None:
    """One line per series, written to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for label, points in series.items():
        ax.plot([x for x, _ in points], [y for _, y in points], label=label, **style)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if xticks is not None:
        ax.set_xticks(xticks)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot(summary: list[dict[str, Any]], path: Path) -> None:
    """Accuracy vs k, one line per model (per model and task for a mix: summaries with a task "all")."""
    by_task = any(s.get("task") == "all" for s in summary)

    def label(s: dict[str, Any]) -> str:
        return f"{s['model']} · {s['task']}" if by_task else s["model"]

    series = {
        name: sorted((s["shots"], 100 * s["accuracy"]) for s in summary if label(s) == name)
        for name in dict.fromkeys(label(s) for s in summary)
    }
    shots = sorted({s["shots"] for s in summary})
    title = "Greedy accuracy by few-shot count"
    line_plot(series, "few-shot examples (k)", "accuracy (%)", title, path, xticks=shots, marker="o")


def plot_reward_curve(metrics_jsonl: Path, path: Path) -> None:
    """Mean reward components per training step, from a run's metrics.jsonl."""
    rows = [json.loads(line) for line in metrics_jsonl.read_text().splitlines() if line.strip()]
    names = sorted({k for r in rows for k in r if k.startswith("rewards/") and k.endswith("/mean")})
    series = {name.split("/")[1]: [(r["step"], r[name]) for r in rows if name in r] for name in names}
    line_plot(
        series, "GRPO step", "mean reward component", "Training reward (from the verifier service)", path, marker="."
    )
