"""Mixed data: several sources with weights, each problem prompted in its kind's style and judged by
its kind's verifier (math: gsm8k, code: code), sampled reproducibly by seed.

    --data synthetic=0.7,code-stdio=0.3        # 70% synthetic word problems, 30% stdin/stdout programs
    --data synthetic:2=1,humaneval=1           # ':' still selects a source's variant; '=' gives its weight

A mix has `train_size` problems (default: as many as its sources hold together), each source's share
in proportion to its weight; a source smaller than its share repeats (training only). Evaluation
takes the first problems of each source's test split, never repeating one.

>>> [(t.source, t.weight, t.verifier) for t in parse_mix("synthetic=0.7,code-stdio=0.3")]
[('synthetic', 0.7, 'gsm8k'), ('code-stdio', 0.3, 'code')]
>>> shares(10, [0.7, 0.3]), shares(3, [1, 1])
([7, 3], [2, 1])
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass

from rlvr.errors import DataError
from rlvr.trainer.data import data_kind, load_problems
from rlvr.trainer.problem import Problem
from rlvr.trainer.prompts import FewShotPrompter

log = logging.getLogger(__name__)

ENTRIES, WEIGHT = ",", "="
# The verifier of each problem kind where it is not the kind's own name (code -> code, ifeval -> ifeval).
KIND_VERIFIERS = {"math": "gsm8k"}


def verifier_for(kind: str) -> str:
    """The verifier that judges problems of `kind`."""
    return KIND_VERIFIERS.get(kind, kind)


@dataclass(frozen=True)
class Task:
    """One source of a mix and its weight."""

    source: str
    weight: float = 1.0

    @property
    def kind(self) -> str:
        return data_kind(self.source)

    @property
    def verifier(self) -> str:
        return verifier_for(self.kind)


@dataclass(frozen=True)
class Sample:
    """A problem of a mix and the task it came from."""

    task: Task
    problem: Problem


def is_mix(data: str) -> bool:
    """Whether `data` is a mix (`source=weight,...`) rather than one source."""
    return ENTRIES in data or WEIGHT in data


def parse_mix(data: str) -> list[Task]:
    """The tasks of `source=weight[,source=weight...]`; a ValueError says what is wrong and how to write it."""
    tasks: list[Task] = []
    for position, entry in enumerate(part.strip() for part in data.split(ENTRIES)):
        if not entry:
            raise DataError(f"--data {data!r}: entry {position + 1} is empty; write source=weight,source=weight")
        source, sep, weight = entry.rpartition(WEIGHT)
        if not sep:
            raise DataError(f"--data {data!r}: {entry!r} has no weight; every source of a mix needs one, "
                             f"e.g. {_suggest(entry)}")  # fmt: skip
        if not source.strip():
            raise DataError(f"--data {data!r}: {entry!r} names no source before '='")
        try:
            value = float(weight)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise DataError(f"--data {data!r}: the weight of {source.strip()!r} must be a positive number, "
                             f"got {weight!r}")  # fmt: skip
        tasks.append(Task(source.strip(), value))
    sources = [t.source for t in tasks]
    repeated = sorted({s for s in sources if sources.count(s) > 1})
    if repeated:
        raise DataError(f"--data {data!r}: {repeated} appear more than once; give each source one weight")
    return tasks


def _suggest(entry: str) -> str:
    """`synthetic=0.7` for `synthetic:0.7` (':' selects a variant, as in synthetic:2 and humaneval:all)."""
    source, _, tail = entry.rpartition(":")
    try:
        float(tail)
    except ValueError:
        return f"{entry}=0.5"
    return f"{source}={tail} (':' selects a variant, as in synthetic:2 or humaneval:all; '=' gives the weight)"


def tasks_of(data: str) -> list[Task]:
    """The tasks of a mix, or the one source as a task of weight 1."""
    return parse_mix(data) if is_mix(data) else [Task(data)]


def verifiers_of(data: str) -> list[str]:
    """The verifiers a mix's problems name, in the order of its sources."""
    return list(dict.fromkeys(t.verifier for t in tasks_of(data)))


def stop_kind(data: str) -> str:
    """The kind whose stop words generation uses (one generation config per model): math if any."""
    kinds = [t.kind for t in tasks_of(data)]
    return "math" if "math" in kinds else kinds[0]


def shares(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights` (largest remainders; ties to the earlier source)."""
    exact = [total * w / sum(weights) for w in weights]
    counts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def load_mix(
    tasks: list[Task], split: str, total: int | None, seed: int, *, repeat: bool
) -> tuple[list[Sample], dict[str, list[Problem]]]:
    """The mix's samples of `split` and each source's whole pool (few-shot examples come from it).

    `repeat` (training): each source's share is drawn from its pool in a seeded order, cycling when
    the pool is smaller, and the mix is shuffled. Otherwise (evaluation) each source gives its first
    problems, at most its pool's size.
    """
    pools = {t.source: load_problems(t.source, split, None, seed) for t in tasks}
    for task in tasks:
        if not pools[task.source]:
            raise DataError(f"{task.source} has no {split} problems")
    total = total if total is not None else sum(len(p) for p in pools.values())
    samples: list[Sample] = []
    for task, count in zip(tasks, shares(total, [t.weight for t in tasks]), strict=True):
        pool = pools[task.source]
        if repeat:
            order = random.Random(f"{seed}:{task.source}").sample(pool, len(pool))
            picked = [order[i % len(order)] for i in range(count)]
        else:
            if count > len(pool):
                log.warning("%s has %d %s problems, fewer than its share of %d", task.source, len(pool), split, count)
            picked = pool[:count]
        samples += [Sample(task, p) for p in picked]
    if repeat:
        random.Random(seed).shuffle(samples)
    return samples, pools


def prompters(
    tasks: list[Task], pools: dict[str, list[Problem]], shots: int, style: str, seed: int
) -> dict[str, FewShotPrompter]:
    """One prompter per source: its own kind's prompts, its examples from its own pool."""
    return {t.source: FewShotPrompter(pools[t.source], shots, style, seed, kind=t.kind) for t in tasks}
