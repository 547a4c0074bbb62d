"""How often this verifier agrees with IFEval's own code, instruction by instruction, on seeded responses
(samples.py) with arguments set at each count's boundary. Measurement only: benchmarks/bench_ifeval.py
prints it, a test checks it; needs the reference implementation (oracle.py).
"""

from __future__ import annotations

import json
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
    from rlvr.services.verifiers.ifeval.wording import INSTRUCTIONS

    kwargs = INSTRUCTIONS[instruction_id][0](rng)
    if instruction_id in _COUNTED:
        count_name, arg = _COUNTED[instruction_id]
        kwargs[arg] = oracle.reference_counts(response)[count_name] + rng.randint(0, 1)
    elif instruction_id == "language:response_language":
        kwargs["language"] = rng.choice(_LANGUAGES)
    elif instruction_id == "combination:repeat_prompt":
        kwargs["prompt_to_repeat"] = response.split(". ")[0] if rng.random() < 0.5 else "Write a story."
    return kwargs


def _paragraphs(rng: random.Random, count: int, divider: str, first_word: str = "", nth: int = 0) -> str:
    parts = [samples.paragraph(rng) for _ in range(count)]
    if nth:
        parts[nth - 1] = f"{first_word.capitalize()} {parts[nth - 1]}"
    return divider.join(parts)


def _following(instruction_id: str, kwargs: dict[str, Any], rng: random.Random) -> str | None:
    """A response made to follow the instruction (IFEval's own verdict still decides), or None."""
    body = samples.response(rng)
    made = {
        "length_constraints:nth_paragraph_first_word": lambda: _paragraphs(
            rng, kwargs["num_paragraphs"], "\n\n", kwargs["first_word"], kwargs["nth_paragraph"]
        ),
        "length_constraints:number_paragraphs": lambda: _paragraphs(rng, kwargs["num_paragraphs"], "\n***\n"),
        "detectable_format:constrained_response": lambda: body + "\nMy answer is " + rng.choice(["yes.", "no."]),
        "combination:two_responses": lambda: samples.paragraph(rng) + "\n******\n" + samples.paragraph(rng),
        "change_case:english_capital": lambda: body.upper(),
        "change_case:english_lowercase": lambda: body.lower(),
        "detectable_format:json_format": lambda: "```json\n" + json.dumps({"text": body}) + "\n```",
        "startend:quotation": lambda: f'"{body}"',
        "startend:end_checker": lambda: f"{body} {kwargs['end_phrase']}",
        "punctuation:no_comma": lambda: body.replace(",", ""),
        "detectable_content:postscript": lambda: f"{body}\n\n{kwargs['postscript_marker']} {samples.sentence(rng)}",
        "detectable_format:number_bullet_lists": lambda: "\n".join(
            f"* {samples.sentence(rng)}" for _ in range(kwargs["num_bullets"])
        ),
        "detectable_format:multiple_sections": lambda: "\n".join(
            f"{kwargs['section_spliter']} {i + 1}\n{samples.paragraph(rng)}" for i in range(kwargs["num_sections"])
        ),
        "keywords:forbidden_words": lambda: " ".join(
            w for w in body.split(" ") if not any(f in w.lower() for f in kwargs["forbidden_words"])
        ),
        "language:response_language": lambda: samples.foreign(kwargs["language"]) or None,
    }
    return made[instruction_id]() if instruction_id in made else None


def items(n: int, seed: int = 0) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(instruction id, response, kwargs): `n` per instruction, half made to follow where IFEval rarely is."""
    rng = random.Random(seed)
    for instruction_id in CHECKS:
        for index in range(n):
            response = samples.response(rng)
            kwargs = _kwargs(instruction_id, response, rng)
            if index % 2:
                response = _following(instruction_id, kwargs, rng) or response
            yield instruction_id, response, kwargs


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
