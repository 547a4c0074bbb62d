"""Code verifier benchmark: HumanEval canonical solutions and the stdin/stdout set through the real
service at 1 and 2 workers, against one sandbox started per test case (the SandboxFusion-style
design: a fresh bubblewrap each, never the zygote) and an unsandboxed subprocess per problem (the floor).

    .venv/bin/python benchmarks/bench_code.py [--limit 164]

Throughput: all problems in one /score request (the pool splits it across workers). Latency: one
problem per request, as many clients as workers. Writes benchmarks/results/code.{md,json}.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import json
import logging
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from rlvr.services import sandbox
from rlvr.services.verifiers.code.verifier import CodeVerifier
from rlvr.testing.processes import serve_process
from rlvr.trainer.code_tasks import STDIO_SET, humaneval_reference, humaneval_rows

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("bench_code")


def problems(limit: int) -> list[dict[str, Any]]:
    """{name, completion, reference, program (a self-checking script), cases (one script per test)}."""
    out = []
    for row in humaneval_rows()[:limit]:
        whole = row["prompt"] + row["canonical_solution"]
        out.append(
            {
                "completion": row["canonical_solution"],
                "reference": humaneval_reference(row),
                "program": f"{whole}\n{row['test']}\ncheck({row['entry_point']})\n",
                "cases": [f"{whole}\n{c}\ncheck({row['entry_point']})\n" for c in _one_assert_each(row["test"])],
            }
        )
    for _task, tests, program in STDIO_SET:
        reference = json.dumps({"tests": [{"stdin": i, "stdout": o} for i, o in tests]})
        out.append({"completion": program, "reference": reference, "program": program, "stdio": tests})
    return out


def _one_assert_each(test: str) -> list[str]:
    """HumanEval's check() split into one check per assert (its other statements kept as setup)."""
    tree = ast.parse(test)
    check = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check")
    setup = [n for n in check.body if not isinstance(n, ast.Assert)]
    asserts: list[ast.stmt] = [n for n in check.body if isinstance(n, ast.Assert)] or [ast.Pass()]
    rest = [n for n in tree.body if n is not check]
    scripts = []
    for case in asserts:
        fn = ast.FunctionDef(name="check", args=check.args, body=[*setup, case], decorator_list=[], returns=None)
        scripts.append(ast.unparse(ast.fix_missing_locations(ast.Module(body=[*rest, fn], type_ignores=[]))))
    return scripts


def through_service(items: list[dict[str, Any]], workers: int) -> dict[str, Any]:
    env = {"RLVR_VERIFIERS": "code", "RLVR_WORKERS": str(workers), "RLVR_ITEM_DEADLINE_S": "10"}
    batch = [{"completion": p["completion"], "reference": p["reference"]} for p in items]
    with serve_process(env) as (_, url):
        with httpx.Client(base_url=url, timeout=600) as client:
            client.post("/score", json={"items": batch[:8]})  # warm: sandbox probe, imports
            started = time.perf_counter()
            results = client.post("/score", json={"items": batch, "deadline_s": 600}).json()["results"]
            total = time.perf_counter() - started
        passed = sum(r["components"].get("correctness") == 1.0 for r in results)
        latencies = asyncio.run(_latencies(url, batch, workers))
    return {"design": f"rlvr code service, {workers} worker(s)", "total_s": total, "passed": passed,
            **_stats(latencies, len(items), total)}  # fmt: skip


async def _latencies(url: str, batch: list[dict[str, str]], clients: int) -> list[float]:
    queue = list(batch)
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=600) as client:

        async def worker() -> None:
            while queue:
                item = queue.pop()
                started = time.perf_counter()
                await client.post("/score", json={"items": [item]})
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies


def sequential(name: str, items: list[dict[str, Any]], run: Any) -> dict[str, Any]:
    latencies, passed, started = [], 0, time.perf_counter()
    for p in tqdm(items, desc=name, leave=False):
        t = time.perf_counter()
        passed += run(p)
        latencies.append(time.perf_counter() - t)
    total = time.perf_counter() - started
    return {"design": name, "total_s": total, "passed": passed, **_stats(latencies, len(items), total)}


def _unsandboxed(p: dict[str, Any]) -> bool:
    cmd = [sys.executable, "-I", "-S", "-c", p["program"]]
    for stdin, stdout in p.get("stdio", [("", None)]):
        out = subprocess.run(cmd, input=stdin.encode(), capture_output=True, timeout=20)
        if out.returncode != 0 or (stdout is not None and out.stdout.decode().strip() != stdout.strip()):
            return False
    return True


def _in_process(verifier: CodeVerifier, p: dict[str, Any]) -> bool:
    return verifier.score(p["completion"], p["reference"]).components["correctness"] == 1.0


def _per_test(p: dict[str, Any]) -> bool:
    ok = True
    for case in p.get("cases", []):
        ok &= sandbox.run_python(case, wall_s=10, fresh=True).exit_status == 0
    for stdin, stdout in p.get("stdio", []):
        script = f"import sys, io\nsys.stdin = io.StringIO({stdin!r})\n{p['program']}"
        result = sandbox.run_python(script, wall_s=10, fresh=True)
        ok &= result.exit_status == 0 and result.stdout.decode().strip() == stdout.strip()
    return ok


def _stats(latencies: list[float], n: int, total: float) -> dict[str, float]:
    latencies = sorted(latencies)
    return {"problems_per_s": n / total, "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=164, help="HumanEval problems (plus the 12 stdin/stdout ones)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    items = problems(args.limit)
    sandbox.require()
    rows = [through_service(items, w) for w in (1, 2)]
    verifier = CodeVerifier()
    verifier.warm_up()
    rows.append(sequential("verifier in-process (no HTTP), sequential", items, lambda p: _in_process(verifier, p)))
    rows.append(sequential("one sandbox per test case, sequential", items, _per_test))
    rows.append(sequential("unsandboxed subprocess per problem (floor), sequential", items, _unsandboxed))
    caps = sandbox.detect()
    layers = ",".join(caps.layers) + (", zygote" if caps.zygote else "")
    table = Table(title=f"code verifier: {len(items)} problems; sandbox {caps.mode} ({layers})")
    headers = ["design", "problems/s", "p50 ms", "p99 ms", "passed"]
    for h in headers:
        table.add_column(h, justify="right")
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for r in rows:
        cells = [r["design"], f"{r['problems_per_s']:.1f}", f"{r['p50_ms']:.0f}", f"{r['p99_ms']:.0f}",
                 f"{r['passed']}/{len(items)}"]  # fmt: skip
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    Console().print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "code.md").write_text("\n".join(lines) + "\n")
    (args.out / "code.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
