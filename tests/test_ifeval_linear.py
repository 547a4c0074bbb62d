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
from rlvr.services.verifiers.ifeval.spec import parse_reference

KIB = 1 << 10
SIZES_KIB = (64, 512)
MAX_GROWTH = 3.0  # per-MiB time at 512 KiB over that at 64 KiB; quadratic would be 8
NOISE_S_PER_MIB = 0.3  # timer and scheduler noise on a shared machine

# Arguments that make each scan work: near-miss keywords, markers and splitters the shapes almost hold.
HARD_ARGS: dict[str, dict] = {
    "keywords:existence": {"keywords": ["aaaaaaaab", "section 9"]},
    "keywords:frequency": {"keyword": "aaaaaaaab", "frequency": 2, "relation": "at least"},
    "keywords:forbidden_words": {"forbidden_words": ["aaaaaaaab", "p.s"]},
    "keywords:letter_frequency": {"letter": "a", "let_frequency": 3, "let_relation": "at least"},
    "language:response_language": {"language": "en"},
    "length_constraints:number_sentences": {"num_sentences": 3, "relation": "less than"},
    "length_constraints:number_paragraphs": {"num_paragraphs": 3},
    "length_constraints:number_words": {"num_words": 100, "relation": "at least"},
    "length_constraints:nth_paragraph_first_word": {"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "so"},
    "detectable_content:number_placeholders": {"num_placeholders": 2},
    "detectable_content:postscript": {"postscript_marker": "P.S."},
    "detectable_format:number_bullet_lists": {"num_bullets": 2},
    "detectable_format:number_highlighted_sections": {"num_highlights": 2},
    "detectable_format:multiple_sections": {"section_spliter": "Section", "num_sections": 2},
    "combination:repeat_prompt": {"prompt_to_repeat": "Repeat this. " * 50},
    "startend:end_checker": {"end_phrase": "Any other questions?"},
    "change_case:capital_word_frequency": {"capital_frequency": 3, "capital_relation": "at least"},
}

SHAPES = [
    "[", "[a]", "\n", " \n", "*", "*a", "* a\n", "-", "<<", "<<a", "***", "******", "{", "[1,", "p. s. ",
    "Section 1 ", "Section ", "a. a. a.\n", "A. ", "DON'T ", ",", "''", "a", "\n\n", "é", "?!", '"', "\x00",
]  # fmt: skip


def _per_mib(run: Callable[[str], object], text: str) -> float:
    started = time.perf_counter()
    run(text)
    return (time.perf_counter() - started) / (len(text) / (1 << 20))


@pytest.mark.parametrize("unit", SHAPES, ids=repr)
def test_every_instruction_scans_in_linear_time(unit: str) -> None:
    texts = [unit * (size * KIB // len(unit)) for size in SIZES_KIB]
    follows("punctuation:no_comma", texts[0], {})  # nothing below pays for imports
    for instruction_id in CHECKS:
        args = HARD_ARGS.get(instruction_id, {})
        run = functools.partial(follows, instruction_id, args=args)
        small, large = (_per_mib(run, text) for text in texts)
        assert large < MAX_GROWTH * small + NOISE_S_PER_MIB, (instruction_id, small, large)


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

    small, large = (_per_mib(parse, HOSTILE_REFERENCES[shape](size * KIB)) for size in (64, 1000))
    assert large < MAX_GROWTH * small + NOISE_S_PER_MIB, (shape, small, large)
