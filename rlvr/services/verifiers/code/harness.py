"""All tests of a reference against one program, in ONE sandbox per completion.

The parent sends the runner (runner/, a trusted program run inside the sandbox) its configuration
on a pipe: the program, the inputs of each test, never the expected outputs (stdin/stdout and
function-call kinds); for check code the test source goes on a pipe only the checker process reads.
It then judges the rows the runner reports (judge.py).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from typing import Any

from rlvr.services import sandbox
from rlvr.services.verifiers.code.judge import TestOutcome, judge
from rlvr.services.verifiers.code.reference import Reference

RUN_MARGIN_S = 2.0  # sandbox start-up and per-test bookkeeping, on top of the tests' limits
# The item's deadline outlasts the sandbox's by this much: a sandbox stopped at its own deadline
# (a program that stopped the runner) is still judged, a scored 0, never an item timeout.
# The pool waits this much longer than the sandbox's own wall limit: the sandbox must be the one that
# stops a slow program (a scored 0, `time_limit`), with time to kill and reap, never the pool (timeout).
JUDGE_MARGIN_S = 3.0
PER_TEST_MARGIN_S = 0.05
# A test's row: 1 MiB of output or return value, JSON-escaped (at worst 6 bytes a byte), plus fields.
ROW_CAP = 6 * 1024 * 1024 + 8192
RESULTS_CAP = 64 * 1024 * 1024  # all rows of one completion: what one worker holds at most
RUNNER_MEMORY_MB = 256  # the runner's own address space, on top of the program's limit
RUNNER = sandbox.Program.from_package("rlvr.services.verifiers.code.runner", "main")


@dataclass(frozen=True, slots=True)
class HarnessResult:
    tests: tuple[TestOutcome, ...]
    sandbox: sandbox.SandboxResult

    @property
    def passed(self) -> int:
        return sum(t.passed for t in self.tests)


def wall_budget_s(ref: Reference) -> float:
    """The sandbox's whole wall-clock budget for this reference: every test's limit plus margins."""
    return ref.n_tests * (ref.time_limit_s + PER_TEST_MARGIN_S) + RUN_MARGIN_S


def item_budget_s(ref: Reference) -> float:
    """How long the service waits for the item: the sandbox's budget and the judging after it."""
    return wall_budget_s(ref) + JUDGE_MARGIN_S


_IMPORT_LINE = re.compile(r"^(?:import\s|from\s+\S+\s+import\s).*$", re.MULTILINE)


def _compiles(source: str) -> bool:
    try:
        compile(source, "<source>", "exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


def defines(program: str, name: str) -> bool:
    """Whether the program binds `name` at top level (def, class, assignment, import)."""
    try:
        tree = ast.parse(program)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
            (a.asname or a.name.split(".")[0]) == name for a in node.names
        ):
            return True
    return False


def prelude_imports(prelude: str) -> str:
    """The prelude when it compiles on its own; else only its import lines."""
    if _compiles(prelude):
        return prelude
    return "\n".join(m.group(0) for m in _IMPORT_LINE.finditer(prelude)) + "\n"


def check_program(program: str, ref: Reference) -> tuple[str, str]:
    """(prelude part, program part) run by the candidate process for a check-code reference:
    a program that defines the entry point runs after the prelude's code (its imports in force);
    one that does not continues the prelude (base-model style)."""
    if ref.entry_point and defines(program, ref.entry_point):
        return prelude_imports(ref.prelude), program
    return "", ref.prelude + program


def run(program: str, ref: Reference) -> HarnessResult:
    """Run every test of `ref` against `program` in one sandbox."""
    config: dict[str, Any] = {
        "kind": ref.kind,
        "time_limit_s": ref.time_limit_s,
        "memory_mb": ref.memory_mb,
    }
    inputs: dict[str, bytes] = {}
    if ref.kind == "stdio":
        config["tests"] = [{"stdin": t.stdin} for t in ref.stdio_tests]  # never the expected stdout
        config["program"] = program
    elif ref.kind == "call":
        config["tests"] = [{"args": list(t.args)} for t in ref.call_tests]  # never the expected value
        config["fn_name"] = ref.fn_name
        config["program"] = program
    else:
        prelude_part, program_part = check_program(program, ref)
        config.update(
            entry_point=ref.entry_point,
            prelude_part=prelude_part,
            program=program_part,
            checker_prelude=prelude_imports(ref.prelude),
        )
        inputs["test"] = (ref.test or "").encode()
    inputs["config"] = json.dumps(config).encode()
    n = ref.n_tests
    result = sandbox.run_program(
        RUNNER,
        inputs=inputs,
        outputs={"results": min(n * ROW_CAP, RESULTS_CAP)},
        wall_s=wall_budget_s(ref),
        memory_mb=ref.memory_mb + RUNNER_MEMORY_MB,
    )
    rows: dict[int, dict[str, Any]] = {}
    for line in result.outputs.get("results", b"").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and isinstance(row.get("i"), int):
            rows[row["i"]] = row
    tests = tuple(judge(rows.get(i), ref, i) for i in range(n))
    return HarnessResult(tests=tests, sandbox=result)
