"""Every ifeval instruction scans hostile completions and references in linear time.

Hostile shapes (runs of `[`, `*`, `<<`, newlines, `A. `, ...) at 64 KiB and 512 KiB, one
instruction at a time: the time per MiB may not grow with the size (a quadratic scan's grows
8-fold). Punkt and NLTK's tokenizer are Python, so the constant is seconds per MiB on the worst
shapes (docs/results.md; benchmarks/bench_ifeval.py); the pool's deadline bounds an item.
"""

from __future__ import annotations

import contextlib
import functools
import json
import time
from collections.abc import Callable

import pytest

from rlvr.services.verifiers.ifeval.checks import CHECKS, follows
from rlvr.services.verifiers.ifeval.samples import HARD_ARGS, HOSTILE_UNITS
from rlvr.services.verifiers.ifeval.spec import parse_reference

KIB = 1 << 10
SIZES_KIB = (64, 512)
MAX_GROWTH = 3.0  # per-MiB time at 512 KiB over that at 64 KiB; quadratic would be 8
NOISE_S_PER_MIB = 0.3  # timer and scheduler noise on a shared machine
TRIES = 3  # a pause of the shared machine during one run is not a quadratic scan: the best of a few


def _per_mib(run: Callable[[str], object], text: str) -> float:
    started = time.perf_counter()
    run(text)
    return (time.perf_counter() - started) / (len(text) / (1 << 20))


def _grows(run: Callable[[str], object], small_text: str, large_text: str) -> tuple[float, float] | None:
    """(small, large) seconds per MiB when the large one grew past the bound in every try, else None."""
    small, large = float("inf"), float("inf")
    for _ in range(TRIES):
        small, large = min(small, _per_mib(run, small_text)), min(large, _per_mib(run, large_text))
        if large < MAX_GROWTH * small + NOISE_S_PER_MIB:
            return None
    return small, large


@pytest.mark.parametrize("unit", HOSTILE_UNITS, ids=repr)
def test_every_instruction_scans_in_linear_time(unit: str) -> None:
    texts = [unit * (size * KIB // len(unit)) for size in SIZES_KIB]
    follows("punctuation:no_comma", texts[0], {})  # nothing below pays for imports
    for instruction_id in CHECKS:
        args = HARD_ARGS.get(instruction_id, {})
        run = functools.partial(follows, instruction_id, args=args)
        assert (grown := _grows(run, *texts)) is None, (instruction_id, grown)


HOSTILE_REFERENCES: dict[str, Callable[[int], str]] = {
    "long prompt": lambda n: json.dumps(
        {"instruction_id_list": ["combination:repeat_prompt"], "kwargs": [{"prompt_to_repeat": "a" * n}]}
    ),
    "nested arrays": lambda n: "[" * (n // 2) + "]" * (n // 2),
    "null kwargs": lambda n: json.dumps(
        {"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{f"k{i}": None for i in range(n // 12)}]}
    ),
    "many ids": lambda n: json.dumps({"instruction_id_list": ["punctuation:no_comma"] * (n // 24)}),
    "long id": lambda n: json.dumps({"instruction_id_list": ["x" * n]}),
}


@pytest.mark.parametrize("shape", list(HOSTILE_REFERENCES))
def test_hostile_references_are_parsed_or_refused_in_linear_time(shape: str) -> None:
    def parse(text: str) -> None:
        with contextlib.suppress(ValueError):
            parse_reference(text + " " * (len(text) % 7))  # past the parse cache

    texts = (HOSTILE_REFERENCES[shape](size * KIB) for size in (64, 1000))
    assert (grown := _grows(parse, *texts)) is None, (shape, grown)
