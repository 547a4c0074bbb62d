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

from rlvr.errors import DataError
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


def read_jsonl(path: Path) -> list[dict]:
    """The objects of a JSONL file, one a line; a DataError names the line that is not one."""
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{number}: not JSON ({exc.msg}); a JSONL file holds one object a line") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}:{number}: a JSONL row must be an object, got {type(row).__name__}")
        rows.append(row)
    return rows


def _from_rows(rows: list[dict], where: Path | str) -> list[Problem]:
    problems = []
    for number, row in enumerate(rows, start=1):
        if "question" not in row or "answer" not in row:
            raise DataError(
                f"{where}: row {number} has {sorted(row)}; a GSM8K-style row needs 'question' and 'answer' "
                "(an IFEval row: 'prompt', 'instruction_id_list', 'kwargs')"
            )
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
    check_source(source, split)
    if source.split(":")[0] == SYNTHETIC:  # `synthetic` (one step) or `synthetic:2`
        steps = int(source.partition(":")[2] or 1)
        n = limit if limit is not None else 1000
        return synthetic_problems(n, seed=seed, steps=steps, split=split)
    path = Path(split_path(source, split)).expanduser()
    if path.is_file():
        problems = _from_rows(read_jsonl(path), path)
    else:
        from datasets import load_dataset

        try:
            rows = list(load_dataset(source, "main", split=split))
        except OSError as exc:  # not on the hub (DatasetNotFoundError), or the hub unreachable (ConnectionError)
            raise DataError(
                f"data {source!r}: not a local file, and the hub cannot give it ({type(exc).__name__}: {exc}); "
                f"name one of {SOURCES_HELP}"
            ) from exc
        problems = _from_rows(rows, source)
    return problems[:limit] if limit is not None else problems


# What a data spec may name, for messages and help.
SOURCES_HELP = (
    "synthetic, synthetic:2, humaneval, humaneval:all, code-stdio, ifeval-synthetic, google/IFEval, "
    "a local JSONL file (GSM8K's question/answer rows, or IFEval's), a hub id such as openai/gsm8k"
)


def check_source(source: str, split: str = "train") -> None:
    """A DataError, before anything loads, unless `source` names data: a known set, an existing file
    (`split`'s of a train.jsonl/test.jsonl pair), or a well-formed hub id.

    >>> check_source("humaneval+synthetic")
    Traceback (most recent call last):
    ...
    rlvr.errors.DataError: data 'humaneval+synthetic' names no data source...
    """
    from rlvr.trainer.code_tasks import SOURCES
    from rlvr.trainer.ifeval_tasks import is_ifeval_source

    if source in SOURCES or is_ifeval_source(source):
        return
    name, _, steps = source.partition(":")
    if name == SYNTHETIC:
        if steps not in ("", "1", "2"):
            raise DataError(f"data {source!r}: synthetic problems have 1 or 2 steps: write synthetic or synthetic:2")
        return
    path = Path(split_path(source, split)).expanduser()
    if path.exists():  # a file, or a directory `datasets` loads
        return
    if path.suffix in (".jsonl", ".json") or source.startswith(("/", ".", "~")):
        pair = f" (the {split} split of {source})" if split_path(source, split) != source else ""
        raise DataError(f"data {source!r}: no such file {path}{pair}")
    if not _hub_id(source):
        raise DataError(f"data {source!r} names no data source: name one of {SOURCES_HELP}{_mix_hint(source)}")


def _hub_id(source: str) -> bool:
    """Whether `source` is a well-formed hub id (huggingface_hub's own rules, where it is installed)."""
    try:
        from huggingface_hub.utils import HFValidationError, validate_repo_id
    except ImportError:  # a launcher without the trainer extra: the hub says so when the run loads it
        return True
    try:
        validate_repo_id(source)
    except HFValidationError:
        return False
    return True


def _mix_hint(source: str) -> str:
    """How to write a mix, when `source` looks like an attempt at one (`a+b`, `a&b`)."""
    parts = [p for p in re.split(r"[+&;| ]+", source) if p]
    if len(parts) < 2:
        return "; or a mix with weights, e.g. synthetic=0.7,code-stdio=0.3"
    return f"; to mix sources, give each a weight: {','.join(f'{p}=1' for p in parts)}"


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
