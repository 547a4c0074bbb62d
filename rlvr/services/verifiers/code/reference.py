"""The reference of a `code` item: a JSON object of one of three kinds (docs/verifiers/code.md).

- stdin/stdout: {"tests": [{"stdin": "3 4\\n", "stdout": "7\\n"}, ...]}
- function call: {"fn_name": "add", "tests": [{"args": [3, 4], "expected": 7}, ...]}
- check code:    {"entry_point": "add", "test": "def check(candidate): ...", "prelude": "..."}

Optional in every kind: "time_limit_s" per test (default 2, at most 10), "memory_mb" (default 512,
at most 2048). Anything malformed is a ValueError whose message says what is wrong.
"""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

DEFAULT_TIME_LIMIT_S = 2.0
MAX_TIME_LIMIT_S = 10.0
DEFAULT_MEMORY_MB = 512
MIN_MEMORY_MB = 64
MAX_MEMORY_MB = 2048
MAX_TESTS = 256
MAX_TOTAL_TIME_S = 60.0  # sum of per-test limits: the item's budget (Verifier.item_budget_s) covers it
MAX_REFERENCE_CHARS = 8 * 1024 * 1024

Kind = Literal["stdio", "call", "check"]


@dataclass(frozen=True, slots=True)
class StdioTest:
    stdin: str
    stdout: str


@dataclass(frozen=True, slots=True)
class CallTest:
    args: tuple[Any, ...]  # JSON values
    expected: Any


@dataclass(frozen=True, slots=True)
class Reference:
    kind: Kind
    time_limit_s: float
    memory_mb: int
    stdio_tests: tuple[StdioTest, ...] = ()
    call_tests: tuple[CallTest, ...] = ()
    fn_name: str | None = None
    entry_point: str | None = None
    test: str | None = None
    prelude: str = ""

    @property
    def n_tests(self) -> int:
        if self.kind == "stdio":
            return len(self.stdio_tests)
        if self.kind == "call":
            return len(self.call_tests)
        return 1


def _number(obj: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"reference {key!r} must be a number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"reference {key!r} must be between {low:g} and {high:g}, got {value:g}")
    return float(value)


def _identifier(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.isidentifier():
        raise ValueError(f"reference {key!r} must be a Python identifier, got {value!r}")
    return value


def _tests(obj: dict[str, Any]) -> list[Any]:
    tests = obj.get("tests")
    if not isinstance(tests, list) or not tests:
        raise ValueError("reference 'tests' must be a non-empty list")
    if len(tests) > MAX_TESTS:
        raise ValueError(f"reference has {len(tests)} tests; the limit is {MAX_TESTS}")
    for i, test in enumerate(tests):
        if not isinstance(test, dict):
            raise ValueError(f"reference test {i} must be an object, got {type(test).__name__}")
    return tests


CACHED_REFERENCE_CHARS = 16 * 1024  # only small references are cached: 1024 of them hold at most 16 MiB
MAX_CODE_CHARS = 1024 * 1024  # a check reference's `test` or `prelude`


def parse_reference(text: str) -> Reference:
    """The reference, validated; ValueError naming the problem when it is malformed."""
    if isinstance(text, str) and len(text) <= CACHED_REFERENCE_CHARS:
        return _parse_cached(text)
    return _parse(text, compile_test=True)


def reference_limits(text: str) -> Reference:
    """The reference as far as its tests and limits go, without compiling its test code (cheap
    enough for the service's own process, which only needs the item's time budget)."""
    if isinstance(text, str) and len(text) <= CACHED_REFERENCE_CHARS:
        return _parse_cached(text)
    return _parse(text, compile_test=False)


@lru_cache(maxsize=1024)  # a GRPO group repeats each reference G times
def _parse_cached(text: str) -> Reference:
    return _parse(text, compile_test=True)


def _parse(text: str, compile_test: bool) -> Reference:
    if not isinstance(text, str):
        raise ValueError("reference must be a JSON string")
    if len(text) > MAX_REFERENCE_CHARS:
        raise ValueError(f"reference is {len(text)} characters; the limit is {MAX_REFERENCE_CHARS}")
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"reference is not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ValueError(f"reference must be a JSON object, got {type(obj).__name__}")
    time_limit = _number(obj, "time_limit_s", DEFAULT_TIME_LIMIT_S, 0.05, MAX_TIME_LIMIT_S)
    memory = int(_number(obj, "memory_mb", DEFAULT_MEMORY_MB, MIN_MEMORY_MB, MAX_MEMORY_MB))

    if "entry_point" in obj or "test" in obj:
        entry_point = _identifier(obj, "entry_point")
        test, prelude = _code(obj, "test", required=True), _code(obj, "prelude", required=False)
        if compile_test:
            _check_defines_check(test)
        return Reference(
            kind="check", entry_point=entry_point, test=test, prelude=prelude, time_limit_s=time_limit, memory_mb=memory
        )

    if "fn_name" in obj:
        fn_name = _identifier(obj, "fn_name")
        call_tests = []
        for i, t in enumerate(_tests(obj)):
            if not isinstance(t.get("args"), list):
                raise ValueError(f"reference test {i}: 'args' must be a JSON array")
            if "expected" not in t:
                raise ValueError(f"reference test {i}: 'expected' is missing")
            call_tests.append(CallTest(args=tuple(t["args"]), expected=t["expected"]))
        _check_total(len(call_tests), time_limit)
        return Reference(
            kind="call", fn_name=fn_name, call_tests=tuple(call_tests), time_limit_s=time_limit, memory_mb=memory
        )

    if "tests" in obj:
        stdio = []
        for i, t in enumerate(_tests(obj)):
            stdin, stdout = t.get("stdin", ""), t.get("stdout")
            if not isinstance(stdin, str) or not isinstance(stdout, str):
                raise ValueError(f"reference test {i}: 'stdin' and 'stdout' must be strings")
            _encodable(stdin, f"test {i} 'stdin'")
            stdio.append(StdioTest(stdin=stdin, stdout=stdout))
        _check_total(len(stdio), time_limit)
        return Reference(kind="stdio", stdio_tests=tuple(stdio), time_limit_s=time_limit, memory_mb=memory)

    raise ValueError("reference must have 'tests' (stdin/stdout), 'fn_name' + 'tests', or 'entry_point' + 'test'")


def _code(obj: dict[str, Any], key: str, required: bool) -> str:
    value = obj.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f"reference {key!r} must be a {'non-empty ' if required else ''}string of Python code")
    if len(value) > MAX_CODE_CHARS:
        raise ValueError(f"reference {key!r} is {len(value)} characters; the limit is {MAX_CODE_CHARS}")
    _encodable(value, repr(key))
    return value


def _encodable(value: str, where: str) -> None:
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValueError(f"reference {where} holds an unpaired surrogate (not UTF-8 text)") from None


def _check_defines_check(test: str) -> None:
    try:
        tree = ast.parse(test, "<test>")
        compile(tree, "<test>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ValueError(f"reference 'test' does not compile: {type(exc).__name__}: {exc}") from None
    if not any(isinstance(node, ast.FunctionDef) and node.name == "check" for node in tree.body):
        raise ValueError("reference 'test' must define check(candidate) at top level")


def _check_total(n: int, time_limit: float) -> None:
    if n * time_limit > MAX_TOTAL_TIME_S:
        raise ValueError(
            f"reference asks for {n} tests x {time_limit:g}s; the total may be at most {MAX_TOTAL_TIME_S:g}s"
        )
