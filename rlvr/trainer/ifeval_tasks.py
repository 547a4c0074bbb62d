"""Instruction-following problems for `rlvr eval` / `rlvr train` against the `ifeval` verifier.

- `ifeval-synthetic`: seeded. A short writing request (task x topic) plus 1-3 compatible IFEval
  instructions (IFEval's conflict table) with sampled arguments, worded as IFEval words them.
  A request belongs to one split by a hash of the request alone (one in five is `test`), so train
  and test never share a writing task, whatever the seed and size.
- `google/IFEval` (the hub; 541 prompts, evaluation only) or a local JSONL of its shape
  (`key`, `prompt`, `instruction_id_list`, `kwargs`).

Each becomes a `Problem(kind="ifeval")` whose reference is the verifier's JSON; there is no worked
solution, so prompts are zero-shot.

>>> p = synthetic_ifeval_problems(1, seed=0, split="test")[0]
>>> json.loads(p.reference)["prompt"] == p.question
True
"""

from __future__ import annotations

import json
import random
import zlib
from pathlib import Path
from typing import Any

from rlvr.errors import DataError
from rlvr.services.verifiers.ifeval.wording import CONFLICTS, INSTRUCTIONS
from rlvr.trainer.problem import Problem

IFEVAL_SYNTHETIC = "ifeval-synthetic"
IFEVAL_HUB = "google/IFEval"
IFEVAL_COLUMNS = {"prompt", "instruction_id_list", "kwargs"}

_TASKS = [
    "Write a short blog post about {}.", "Write a letter to a friend about {}.", "Write a poem about {}.",
    "Write a short story about {}.", "Write an email to your team about {}.", "Explain {} to a ten-year-old.",
    "Write a product description for {}.", "Write a short speech about {}.", "Write a limerick about {}.",
    "Write a diary entry about {}.", "Write a news headline and a short article about {}.",
    "Give advice to someone worried about {}.",
]  # fmt: skip
_TOPICS = [
    "a lost umbrella", "the first day of spring", "a new coffee shop", "learning to swim", "a rainy weekend",
    "moving to a new city", "a broken bicycle", "the local library", "a surprise birthday party", "saving money",
    "a long train journey", "growing tomatoes", "a noisy neighbour", "the night sky", "a job interview",
    "a school science fair", "a mountain hike", "a power cut", "adopting a cat", "a farmers market",
    "learning a new language", "a forgotten password", "a street musician", "the ocean",
]  # fmt: skip


def synthetic_split(request: str) -> str:
    """`test` for one request in five, by the request's own hash: splits disjoint by construction."""
    return "test" if zlib.crc32(request.encode()) % 5 == 0 else "train"


def _compose(rng: random.Random, request: str) -> Problem:
    chosen: list[str] = []
    for _ in range(rng.randint(1, 3)):
        allowed = sorted(i for i in INSTRUCTIONS if not any(i in CONFLICTS[c] for c in chosen))
        if allowed:
            chosen.append(rng.choice(allowed))
    kwargs = [INSTRUCTIONS[i][0](rng) for i in chosen]
    texts = [INSTRUCTIONS[i][1](a) for i, a in zip(chosen, kwargs, strict=True)]
    for instruction_id, args in zip(chosen, kwargs, strict=True):
        if instruction_id == "combination:repeat_prompt":
            args["prompt_to_repeat"] = request
    question = " ".join([request, *texts])
    reference = json.dumps({"instruction_id_list": chosen, "kwargs": kwargs, "prompt": question})
    return Problem(question=question, solution="", reference=reference, kind="ifeval")


def synthetic_ifeval_problems(n: int, seed: int, split: str | None = None) -> list[Problem]:
    """`n` reproducible problems of one split (or either): a request and 1-3 compatible instructions."""
    if split not in (None, "train", "test"):
        raise DataError(f"ifeval-synthetic splits are 'train' and 'test', not {split!r}")
    requests = [task.format(topic) for task in _TASKS for topic in _TOPICS]
    requests = [r for r in requests if split is None or synthetic_split(r) == split]
    rng = random.Random(seed)
    return [_compose(rng, rng.choice(requests)) for _ in range(n)]


def is_ifeval_file(source: str) -> bool:
    """Whether `source` is a local JSONL whose first row has IFEval's columns."""
    path = Path(source).expanduser()
    if path.suffix != ".jsonl" or not path.is_file():
        return False
    with path.open() as f:
        first = next((line for line in f if line.strip()), "")
    try:
        row = json.loads(first)
    except ValueError:
        return False
    return isinstance(row, dict) and set(row) >= IFEVAL_COLUMNS


def ifeval_rows_to_problems(rows: list[dict[str, Any]]) -> list[Problem]:
    """IFEval rows (hub or JSONL) as problems; the row's prompt, ids and kwargs are the reference."""
    problems = []
    for row in rows:
        if not set(row) >= IFEVAL_COLUMNS:
            raise DataError(f"each IFEval row needs {sorted(IFEVAL_COLUMNS)}; got {sorted(row)}")
        fields = {k: row[k] for k in ("instruction_id_list", "kwargs", "prompt")}
        problems.append(Problem(question=row["prompt"], solution="", reference=json.dumps(fields), kind="ifeval"))
    return problems


def load_ifeval_problems(source: str, split: str, limit: int | None, seed: int) -> list[Problem]:
    """`ifeval-synthetic` (seeded, by split), `google/IFEval` or a local IFEval JSONL (evaluation only)."""
    if source == IFEVAL_SYNTHETIC:
        return synthetic_ifeval_problems(limit if limit is not None else 1000, seed=seed, split=split)
    if split != "test":
        raise DataError(f"{source} is IFEval's evaluation set: evaluate on it, train on {IFEVAL_SYNTHETIC}")
    if is_ifeval_file(source):
        lines = Path(source).expanduser().read_text().splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
    else:
        from datasets import load_dataset

        rows = list(load_dataset(source, split="train"))  # IFEval ships one split
    problems = ifeval_rows_to_problems(rows)
    return problems[:limit] if limit is not None else problems


def is_ifeval_source(source: str) -> bool:
    return source in (IFEVAL_SYNTHETIC, IFEVAL_HUB) or is_ifeval_file(source)
