"""Judging one test's report from the runner, in the parent: the program never sees what is expected.

A test passes only when the program exited 0 within its limits *and* its stdout (stdin/stdout kind)
or return value (function-call kind) matches, or, for check code, the checker wrote PASS. Limits
and syntax errors are the runner's own findings (runner/watch.py); the program's exit status is
only zero (compare) or not (`runtime_error`), and nothing it prints is ever read as a verdict.

>>> normalize_stdout("7  \\n\\n")
'7'
>>> values_equal(2.0, 2), values_equal([0.1 + 0.2], [0.3]), values_equal(True, 1), values_equal(999999.9999999, 1000000)
(True, True, False, False)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from rlvr.services.verifiers.code.reference import Reference


@dataclass(frozen=True, slots=True)
class TestOutcome:
    passed: bool
    # ok, wrong_answer, runtime_error, time_limit, memory_limit, output_limit, syntax_error, missing
    status: str
    wall_s: float = 0.0
    detail: str = ""


def normalize_stdout(text: str) -> str:
    """Trailing whitespace stripped from each line, trailing blank lines dropped."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def values_equal(got: Any, expected: Any, tol: float = 1e-6) -> bool:
    """JSON values equal: an integer exactly (or as a float within 1e-6 absolute), a float within
    1e-6 relative or absolute,
    bools only as bools, lists elementwise (tuples arrive as lists), objects key by key."""
    if isinstance(got, bool) or isinstance(expected, bool):
        return type(got) is type(expected) and got == expected
    if isinstance(expected, int) and isinstance(got, int):
        return got == expected
    if isinstance(expected, int) and isinstance(got, float):
        # float noise, yes (sum([0.1] * 10) for 1); relative slack on a large integer, no (999999.0 for 10**6)
        return math.isfinite(got) and abs(got - expected) <= tol
    if isinstance(expected, float) and isinstance(got, (int, float)):
        try:
            value = float(got)
        except OverflowError:  # an int too large for a float is no float answer
            return False
        if math.isnan(value) or math.isnan(expected):
            return math.isnan(value) and math.isnan(expected)
        return math.isclose(value, expected, rel_tol=tol, abs_tol=tol)
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(values_equal(g, e) for g, e in zip(got, expected, strict=True))
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(values_equal(got[k], expected[k]) for k in got)
    return type(got) is type(expected) and got == expected


def _reached(row: dict[str, Any], limit: str) -> bool:
    """Whether the runner found the test at `limit` (its own fields, never an exit status)."""
    if limit == "output_limit":
        return bool(row.get("over"))
    if limit == "time_limit":
        return bool(row.get("timed_out") or row.get("cpu_limit"))
    return bool(row.get(limit))


def judge(row: dict[str, Any] | None, ref: Reference, i: int) -> TestOutcome:
    if row is None:
        return TestOutcome(False, "missing", detail="no result for this test (the sandbox was stopped)")
    wall = float(row.get("wall", 0.0))
    stderr = str(row.get("stderr", ""))[-500:]
    for limit in ("syntax_error", "output_limit", "time_limit", "memory_limit"):
        if _reached(row, limit):
            return TestOutcome(False, limit, wall, stderr)
    if ref.kind == "check":  # the checker's verdict (its pipe alone): PASS, FAIL (an assertion), none
        if row.get("verdict") == "PASS" and row.get("exit") == 0:
            return TestOutcome(True, "ok", wall, stderr)
        return TestOutcome(False, "wrong_answer" if row.get("verdict") == "FAIL" else "runtime_error", wall, stderr)
    if row.get("exit") != 0:
        return TestOutcome(False, "runtime_error", wall, stderr)
    if ref.kind == "stdio":
        expected = ref.stdio_tests[i].stdout
        ok = normalize_stdout(str(row.get("stdout", ""))) == normalize_stdout(expected)
        return TestOutcome(ok, "ok" if ok else "wrong_answer", wall)
    try:  # the value is the program's: nested or huge on purpose is a wrong answer, not our error
        got = json.loads(str(row.get("value", "")))
        ok = values_equal(got, json.loads(json.dumps(ref.call_tests[i].expected)))
    except (ValueError, RecursionError, OverflowError, MemoryError):
        return TestOutcome(False, "wrong_answer", wall, "the return value is not comparable JSON")
    return TestOutcome(ok, "ok" if ok else "wrong_answer", wall)
