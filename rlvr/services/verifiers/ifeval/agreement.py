"""How often this verifier agrees with IFEval's own code, instruction by instruction, on seeded responses
(samples.py) with arguments set at each count's boundary. Measurement only: benchmarks/bench_ifeval.py
prints it, a test checks it; needs the reference implementation (oracle.py).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from rlvr.services.verifiers.ifeval import oracle, samples, text
from rlvr.services.verifiers.ifeval.checks import CHECKS, follows

# Instructions whose argument is a count: set at the reference's own count, or one above it.
_COUNTED = {
    "length_constraints:number_sentences": ("sentences", "num_sentences"),
    "length_constraints:number_words": ("words", "num_words"),
    "change_case:capital_word_frequency": ("capital_words", "capital_frequency"),
}
_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "ru", "hi", "ja", "ko", "fi")


def _kwargs(instruction_id: str, response: str, rng: random.Random) -> dict[str, Any]:
    from rlvr.trainer.ifeval_instructions import INSTRUCTIONS

    kwargs = INSTRUCTIONS[instruction_id][0](rng)
    if instruction_id in _COUNTED:
        count_name, arg = _COUNTED[instruction_id]
        kwargs[arg] = oracle.reference_counts(response)[count_name] + rng.randint(0, 1)
    elif instruction_id == "language:response_language":
        kwargs["language"] = rng.choice(_LANGUAGES)
    elif instruction_id == "combination:repeat_prompt":
        kwargs["prompt_to_repeat"] = response.split(". ")[0] if rng.random() < 0.5 else "Write a story."
    return kwargs


def items(n: int, seed: int = 0) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(instruction id, response, kwargs): `n` per instruction."""
    rng = random.Random(seed)
    for instruction_id in CHECKS:
        for _ in range(n):
            response = samples.response(rng)
            yield instruction_id, response, _kwargs(instruction_id, response, rng)


def measure(n: int, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Per instruction: items, agreement strict and loose, share followed; per count: exact agreement."""
    rows: dict[str, dict[str, Any]] = {}
    for instruction_id, response, kwargs in items(n, seed):
        row = rows.setdefault(instruction_id, {"n": 0, "strict": 0, "loose": 0, "followed": 0, "misses": []})
        row["n"] += 1
        ours = follows(instruction_id, response, kwargs)
        row["followed"] += ours
        for mode in ("strict", "loose"):
            ours_mode = ours if mode == "strict" else follows(instruction_id, response, kwargs, "loose")
            agree = ours_mode == oracle.reference_follows(instruction_id, response, kwargs, mode=mode)
            row[mode] += agree
            if not agree and len(row["misses"]) < 3:
                row["misses"].append({"mode": mode, "kwargs": kwargs, "response": response[:300]})
    counts = {name: {"n": 0, "equal": 0} for name in ("sentences", "words", "capital_words")}
    rng = random.Random(seed + 1)
    for _ in range(n * 4):
        response = samples.response(rng)
        reference = oracle.reference_counts(response)
        counted = {"sentences": text.count_sentences(response), "words": text.count_words(response),
                   "capital_words": text.count_capital_words(response)}  # fmt: skip
        for name, tally in counts.items():
            tally["n"] += 1
            tally["equal"] += counted[name] == reference[name]
    return rows | {f"count:{name}": tally for name, tally in counts.items()}
