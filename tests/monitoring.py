"""Helpers of the monitoring tests (a module, not a test file): Debian's prometheus binaries, the rules and
the dashboard's queries as the files hold them."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
MONITORING = ROOT / "deploy" / "monitoring"
RULES = MONITORING / "rules.yml"
DASHBOARD = MONITORING / "grafana" / "dashboards" / "rlvr.json"


def binary(name: str) -> str:
    """Path of `prometheus` or `promtool` (Debian's `prometheus` package, `make setup`); in CI a missing one fails."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is missing: `make setup` installs Debian's prometheus package"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def rules() -> list[dict]:
    """Every rule of rules.yml (recording and alerting), in file order."""
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def panel_queries() -> list[tuple[str, str, str]]:
    """(panel title, PromQL, legend format) of every query of every panel of the committed dashboard."""
    board = json.loads(DASHBOARD.read_text())
    panels = [p for p in board["panels"] if p["type"] != "row"]
    return [(p["title"], t["expr"], t.get("legendFormat", "")) for p in panels for t in p.get("targets", [])]


_MATCHING = re.compile(r"^(on|ignoring)\s*\([^)]*\)\s*(group_(left|right)\s*(\([^)]*\))?)?")
_COMPARISON = re.compile(r"(==|!=|>=|<=|>|<|\band\b|\bor\b|\bunless\b)")


def signals(expr: str) -> list[str]:
    """The operands of an expression's top-level comparisons and set operators, constants dropped:
    what must return data for the expression to be able to fire.

    >>> signals('rate(a{x!="1"}[5m]) > 2 * b + 0.05 and on (v) c > 0.1')
    ['rate(a{x!="1"}[5m])', '2 * b + 0.05', 'c']
    """
    parts, depth, start, i = [], 0, 0, 0
    while i < len(expr):
        ch = expr[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == '"':
            i = expr.index('"', i + 1)
        elif depth == 0 and (m := _COMPARISON.match(expr, i)):
            parts.append(expr[start:i])
            i = start = m.end()
            if expr[i : i + 4] == " bool":
                i = start = i + 5
            continue
        i += 1
    parts.append(expr[start:])
    cleaned = [_MATCHING.sub("", part.strip()).strip() for part in parts]
    return [part for part in cleaned if part and not re.fullmatch(r"[\d.e+-]+", part)]


def draw_dashboard(results: dict[str, list[tuple[str, dict]]], path: Path) -> None:
    """The dashboard's panels as a grid of line plots from Prometheus range-query results, each series
    named by its query's legend format (matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = 3
    rows = -(-len(results) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 3.2 * rows), squeeze=False)
    for ax, (title, series) in zip(axes.flat, results.items(), strict=False):
        start = min((float(s["values"][0][0]) for _, s in series if s["values"]), default=0.0)
        for legend, s in series:
            label = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m, labels=s["metric"]: labels.get(m.group(1), ""), legend)
            times = [float(t) - start for t, _ in s["values"]]
            ax.plot(times, [float(v) for _, v in s["values"]], label=label.strip()[:40], linewidth=1.2)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("seconds", fontsize=8)
        ax.tick_params(labelsize=7)
        if series:
            ax.legend(fontsize=6, loc="upper left", ncol=2)
    for ax in list(axes.flat)[len(results) :]:
        ax.axis("off")
    fig.suptitle("rlvr verifiers: the dashboard's panels over a short mixed load (tests/test_monitoring_live.py)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
