"""Training and evaluation problems: GSM8K (hub or local JSONL) or seeded synthetic word problems.

Every source yields `Problem(question, solution, reference)`; `reference` is the dataset's answer
as it is (a whole GSM8K solution ending in `#### N`), scored by the verifier service.

>>> p = synthetic_problems(1, seed=0, split="train")[0]
>>> p.solution.splitlines()[-1] == "#### " + p.reference.split("#### ")[-1]
True
"""

from __future__ import annotations

import json
import random
import re
import zlib
from pathlib import Path

from rlvr.trainer.problem import Problem

SYNTHETIC = "synthetic"
_CALCULATOR = re.compile(r"<<[^<>]*>>")


def strip_calculator(solution: str) -> str:
    """Remove GSM8K's `<<48/2=24>>` calculator annotations."""
    return _CALCULATOR.sub("", solution)


_NAMES = ["Tom", "Ana", "Liam", "Mia", "Noah", "Zoe", "Omar", "Lena", "Ravi", "Sara", "Ivan", "Emma"]
_THINGS = [
    "apples",
    "stickers",
    "marbles",
    "books",
    "pencils",
    "cookies",
    "shells",
    "cards",
    "coins",
    "stamps",
]


def _one_step(rng: random.Random, name: str, friend: str, thing: str) -> tuple[str, list[str], int]:
    a, b = rng.randint(2, 15), rng.randint(1, 9)
    if rng.random() < 0.5:
        question = (
            f"{name} has {a} {thing}. {friend} gives {name} {b} more {thing}. How many {thing} does {name} have now?"
        )
        return question, [f"{name} has {a} + {b} = {a + b} {thing}."], a + b
    a += b
    question = f"{name} has {a} {thing} and gives {b} of them to {friend}. How many {thing} does {name} have left?"
    return question, [f"{name} has {a} - {b} = {a - b} {thing} left."], a - b


def _two_step(rng: random.Random, name: str, friend: str, thing: str) -> tuple[str, list[str], int]:
    if rng.random() < 0.5:
        a, b = rng.randint(5, 40), rng.randint(2, 30)
        c = rng.randint(1, a + b - 1)
        question = (
            f"{name} has {a} {thing}. {friend} gives {name} {b} more {thing}. "
            f"Then {name} gives away {c} {thing}. How many {thing} does {name} have now?"
        )
        steps = [
            f"{name} has {a} + {b} = {a + b} {thing}.",
            f"After giving away {c}, {name} has {a + b} - {c} = {a + b - c}.",
        ]
        return question, steps, a + b - c
    a, b, c = rng.randint(2, 9), rng.randint(2, 12), rng.randint(1, 20)
    question = (
        f"{name} buys {a} boxes of {thing} with {b} {thing} in each box, and already had {c} {thing}. "
        f"How many {thing} does {name} have in total?"
    )
    steps = [
        f"The boxes hold {a} * {b} = {a * b} {thing}.",
        f"In total {name} has {a * b} + {c} = {a * b + c}.",
    ]
    return question, steps, a * b + c


def _synthetic(rng: random.Random, steps: int) -> Problem:
    """One GSM8K-shaped word problem of one step (`a + b`, `a - b`) or two (`a + b - c`, `a * b + c`)."""
    name, thing = rng.choice(_NAMES), rng.choice(_THINGS)
    friend = rng.choice([n for n in _NAMES if n != name])
    question, lines, answer = (_one_step if steps == 1 else _two_step)(rng, name, friend, thing)
    solution = "\n".join([*lines, f"#### {answer}"])
    return Problem(question=question, solution=solution, reference=solution)


def synthetic_split(question: str) -> str:
    """The split a synthetic question belongs to, decided by the question itself: one in five is
    `test`, so train and test are disjoint by construction, whatever the seeds and sizes."""
    return "test" if zlib.crc32(question.encode()) % 5 == 0 else "train"


def synthetic_problems(n: int, seed: int, steps: int = 1, split: str | None = None) -> list[Problem]:
    """`n` reproducible synthetic problems of `steps` arithmetic steps (1 or 2), of one split if named."""
    if steps not in (1, 2):
        raise ValueError(f"synthetic problems have 1 or 2 steps, not {steps}")
    if split not in (None, "train", "test"):
        raise ValueError(f"synthetic splits are 'train' and 'test', not {split!r}")
    rng = random.Random(seed)
    problems: list[Problem] = []
    while len(problems) < n:
        problem = _synthetic(rng, steps)
        if split is None or synthetic_split(problem.question) == split:
            problems.append(problem)
    return problems


def _from_rows(rows: list[dict]) -> list[Problem]:
    problems = []
    for row in rows:
        if "question" not in row or "answer" not in row:
            raise ValueError(f"each row needs 'question' and 'answer' (GSM8K's fields); got {sorted(row)}")
        problems.append(Problem(question=row["question"], solution=row["answer"], reference=row["answer"]))
    return problems


def load_problems(source: str, split: str = "train", limit: int | None = None, seed: int = 0) -> list[Problem]:
    """Problems of `split` from `synthetic[:steps]`, a local GSM8K-style JSONL file, a hub dataset,
    a code source (`humaneval`, `humaneval:all`, `code-stdio`: code_tasks.py), or instruction following
    (`ifeval-synthetic`, `google/IFEval`, a local IFEval JSONL: ifeval_tasks.py).

    Synthetic train and test are disjoint by construction (`synthetic_split`). A local `train.jsonl`
    or `test.jsonl` stands for its pair: the sibling file of the requested split is read. Any other
    local file is read as it is, whatever the split: callers that need two splits check that they
    did not get the same file twice (`split_path`).
    """
    from rlvr.trainer.code_tasks import SOURCES, load_code_problems
    from rlvr.trainer.ifeval_tasks import is_ifeval_source, load_ifeval_problems

    if is_ifeval_source(source):
        return load_ifeval_problems(source, split, limit, seed)
    if source in SOURCES:
        problems = load_code_problems(source, split)
        return problems[:limit] if limit is not None else problems
    if source.split(":")[0] == SYNTHETIC:  # `synthetic` (one step) or `synthetic:2`
        steps = int(source.partition(":")[2] or 1)
        n = limit if limit is not None else 1000
        return synthetic_problems(n, seed=seed, steps=steps, split=split)
    path = Path(split_path(source, split)).expanduser()
    if path.suffix == ".jsonl" or path.is_file():
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        problems = _from_rows(rows)
    else:
        from datasets import load_dataset

        problems = _from_rows(list(load_dataset(source, "main", split=split)))
    return problems[:limit] if limit is not None else problems


def data_kind(source: str) -> str:
    """`code` for the code sources (code_tasks.py), `ifeval` for instruction following, else `math`."""
    from rlvr.trainer.code_tasks import SOURCES
    from rlvr.trainer.ifeval_tasks import is_ifeval_source

    if is_ifeval_source(source):
        return "ifeval"
    return "code" if source in SOURCES else "math"


def split_path(source: str, split: str) -> str:
    """For a local `train.jsonl` or `test.jsonl`, the sibling file of `split`; else the source."""
    path = Path(source)
    if path.suffix == ".jsonl" and path.stem in ("train", "test"):
        return str(path.with_name(f"{split}.jsonl"))
    return source


def same_file(a: str, b: str) -> bool:
    """Whether two sources are one local file (then they cannot be two splits)."""
    pa, pb = Path(a).expanduser(), Path(b).expanduser()
    return pa.is_file() and pb.is_file() and pa.resolve() == pb.resolve()
