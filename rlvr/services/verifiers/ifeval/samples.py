"""Seeded responses of a few hundred words, made to exercise IFEval's checks: abbreviations, decimals,
ellipses, quotes, contractions, capitals, markdown (bullets, highlights, titles, dividers), sections,
placeholders, postscripts, JSON and other languages. Measurement only (agreement with IFEval's own
code, the benchmark); the service never imports this module.

>>> len(response(random.Random(0)).split()) > 100
True
"""

from __future__ import annotations

import json
import random
from typing import Any

_WORDS = [
    "the", "a", "river", "lantern", "window", "garden", "silver", "morning", "bridge", "letter", "market",
    "thunder", "pocket", "candle", "harbor", "mirror", "orange", "pencil", "whistle", "meadow", "ticket",
    "planet", "we", "they", "it", "was", "is", "are", "walked", "found", "quiet", "bright", "old", "new",
    "small", "long", "under", "over", "before", "after", "because", "while", "and", "but", "so", "then",
    "really", "very",
]  # fmt: skip
_PIECES = [
    "Dr. Smith", "Mr. Jones", "e.g. this", "i.e. that", "the U.S. office", "3.5 km", "at 5 p.m.", "No. 7",
    "don't", "I'm", "it's", "DON'T", "CAN'T", "NASA", "OK", "USA", "TV", "(see below)", "well-known",
    "state-of-the-art", "“quoted”", '"quoted"', "'single'", "etc.", "vs.", "Jan. 5", "$3.50", "50%",
    "cannot", "gonna", "x-ray", "naïve", "café", "—", "--", "&", "A.B.C.", "Ph.D.", "U.K.", "St. Louis",
]  # fmt: skip
_ENDS = [".", ".", ".", "!", "?", "...", "?!", '."', ".)", "!!", ". . ."]
_FOREIGN = {
    "fr": "Le matin était calme et nous avons marché le long de la rivière jusqu'au vieux pont de pierre.",
    "de": "Der Morgen war ruhig und wir sind am Fluss entlang bis zur alten Steinbrücke gelaufen.",
    "es": "La mañana estaba tranquila y caminamos junto al río hasta el viejo puente de piedra.",
    "it": "La mattina era tranquilla e abbiamo camminato lungo il fiume fino al vecchio ponte di pietra.",
    "pt": "A manhã estava calma e caminhamos ao longo do rio até a velha ponte de pedra.",
    "ru": "Утро было тихим, и мы шли вдоль реки до старого каменного моста.",
    "hi": "सुबह शांत थी और हम नदी के किनारे पुराने पत्थर के पुल तक चले।",
    "ja": "朝は静かで、私たちは川沿いを古い石の橋まで歩きました。",
    "ko": "아침은 조용했고 우리는 강을 따라 오래된 돌다리까지 걸었습니다.",
    "fi": "Aamu oli rauhallinen ja kävelimme joen vartta vanhalle kivisillalle asti.",
}


def foreign(language: str) -> str:
    """A few sentences in one of the languages samples hold ("" for another)."""
    return " ".join([_FOREIGN[language]] * 3) if language in _FOREIGN else ""


def sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(3, 14))]
    for _ in range(rng.randint(0, 2)):
        words.insert(rng.randrange(len(words) + 1), rng.choice(_PIECES))
    if rng.random() < 0.15:
        words = [w.upper() for w in words]
    elif rng.random() < 0.3:
        words[rng.randrange(len(words))] = rng.choice(_WORDS).upper()
    if rng.random() < 0.2:
        words.insert(rng.randrange(1, len(words) + 1), ",")
    text = " ".join(words).replace(" ,", ",")
    return text[0].upper() + text[1:] + rng.choice(_ENDS)


def paragraph(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.12:
        bullet = rng.choice(["* ", "- ", "  * ", "1. ", "*   ", "-"])
        return "\n".join(bullet + sentence(rng) for _ in range(rng.randint(1, 5)))
    if kind < 0.2:
        return f"{rng.choice(['Section', 'SECTION', 'Part'])} {rng.randint(1, 6)}\n{sentence(rng)}"
    if kind < 0.25:
        return rng.choice(["P.S. ", "P.P.S ", "p.s. ", "PS: "]) + sentence(rng)
    if kind < 0.3:
        return rng.choice(list(_FOREIGN.values()))
    text = " ".join(sentence(rng) for _ in range(rng.randint(2, 7)))
    marks = [("*", "*"), ("**", "**"), ("[", "]"), ("<<", ">>"), ('"', '"')]
    for _ in range(rng.randint(0, 3)):
        words = text.split(" ")
        i = rng.randrange(len(words))
        left, right = rng.choice(marks)
        words[i] = left + words[i] + right
        text = " ".join(words)
    return text


def response(rng: random.Random) -> str:
    """One response: a few paragraphs with dividers, sometimes a title, JSON, quotes or one language."""
    shape = rng.random()
    if shape < 0.05:
        return json.dumps({"answer": sentence(rng), "points": [sentence(rng) for _ in range(3)]}, indent=1)
    if shape < 0.1:
        language = rng.choice(list(_FOREIGN))
        return " ".join([_FOREIGN[language]] * rng.randint(1, 4))
    parts = [paragraph(rng) for _ in range(rng.randint(3, 9))]
    divider = rng.choice(["\n\n", "\n\n", "\n", "\n***\n", " *** ", "\n******\n"])
    text = divider.join(parts)
    if rng.random() < 0.15:
        text = f"<<{sentence(rng).rstrip('.!?')}>>\n\n{text}"
    if rng.random() < 0.1:
        text = f'"{text}"'
    if rng.random() < 0.1:
        text = text.lower()
    if rng.random() < 0.1:
        text += "\nIs there anything else I can help with?"
    return text


# Arguments that make each scan work: near-miss keywords, markers and splitters the shapes almost hold.
HARD_ARGS: dict[str, dict[str, Any]] = {
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

HOSTILE_UNITS = [
    "[", "[a]", "\n", " \n", "*", "*a", "* a\n", "-", "<<", "<<a", "***", "******", "{", "[1,", "p. s. ",
    "Section 1 ", "Section ", "a. a. a.\n", "A. ", "DON'T ", ",", "''", "a", "\n\n", "é", "?!", '"', "\x00",
]  # fmt: skip
