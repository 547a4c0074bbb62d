"""The ifeval reference: IFEval's own fields, parsed and checked before any completion is read.

    {"instruction_id_list": ["punctuation:no_comma", "length_constraints:number_words"],
     "kwargs": [{}, {"num_words": 50, "relation": "less than"}],
     "prompt": "...", "mode": "strict"}

Every kwarg an instruction takes is required: where IFEval's checkers draw a missing argument at
random, a reference without it is refused (ValueError names the instruction and the argument).
Keys whose value is null are ignored, so rows of `google/IFEval` (whose kwargs carry every
argument name, null where unused) are references as they are.

>>> ref = parse_reference('{"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}')
>>> ref.instructions[0].id, ref.mode
('punctuation:no_comma', 'strict')
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

RELATIONS = ("less than", "at least")
# IFEval's languages (its instructions_util.LANGUAGE_CODES), all of which langdetect reports.
LANGUAGES = {
    "en": "English", "es": "Spanish", "pt": "Portuguese", "ar": "Arabic", "hi": "Hindi", "fr": "French",
    "ru": "Russian", "de": "German", "ja": "Japanese", "it": "Italian", "bn": "Bengali", "uk": "Ukrainian",
    "th": "Thai", "ur": "Urdu", "ta": "Tamil", "te": "Telugu", "bg": "Bulgarian", "ko": "Korean", "pl": "Polish",
    "he": "Hebrew", "fa": "Persian", "vi": "Vietnamese", "ne": "Nepali", "sw": "Swahili", "kn": "Kannada",
    "mr": "Marathi", "gu": "Gujarati", "pa": "Punjabi", "ml": "Malayalam", "fi": "Finnish",
}  # fmt: skip
MODES = ("strict", "loose")
MAX_INSTRUCTIONS = 32
MAX_WORDS_IN_LIST = 32  # keywords, forbidden words
MAX_PATTERN_CHARS = 200  # a keyword, postscript marker or section splitter: searched across the completion
MAX_REFERENCE_CHARS = 1 << 20
CACHED_REFERENCE_CHARS = 4096  # parsed references kept for a GRPO group's repeats: at most 4096 x 4 KiB


@dataclass(frozen=True, slots=True)
class Instruction:
    """One instruction of a reference: its IFEval id and its checked arguments."""

    id: str
    args: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Reference:
    instructions: tuple[Instruction, ...]
    mode: str = "strict"


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def _positive(name: str, value: Any) -> int:
    if _count(name, value) == 0:
        raise ValueError(f"{name} must be at least 1, got 0")
    return int(value)


def _relation(name: str, value: Any) -> str:
    if value not in RELATIONS:
        raise ValueError(f"{name} must be one of {list(RELATIONS)}, got {value!r}")
    return str(value)


def _text(name: str, value: Any, limit: int | None = MAX_PATTERN_CHARS) -> str:
    """A string that is not blank once stripped (IFEval strips markers, splitters and phrases)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r:.80}")
    if limit is not None and len(value) > limit:
        raise ValueError(f"{name} is {len(value)} characters; the limit is {limit}")
    return value


def _long_text(name: str, value: Any) -> str:
    return _text(name, value, limit=None)  # compared by startswith/endswith: cost bounded by the completion


def _words(name: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or len(value) > MAX_WORDS_IN_LIST:
        raise ValueError(f"{name} must be a list of 1 to {MAX_WORDS_IN_LIST} strings, got {value!r:.80}")
    return tuple(_text(f"{name}[{i}]", word) for i, word in enumerate(value))


def _letter(name: str, value: Any) -> str:
    if not (isinstance(value, str) and len(value) == 1 and value.isascii() and value.isalpha()):
        raise ValueError(f"{name} must be one ASCII letter, got {value!r:.80}")
    return value.lower()


def _language(name: str, value: Any) -> str:
    if value not in LANGUAGES:
        raise ValueError(f"{name} must be one of IFEval's language codes {sorted(LANGUAGES)}, got {value!r:.80}")
    return str(value)


Check = Callable[[str, Any], Any]
# id -> {argument: its check}; IFEval's argument names, every one required.
ARGUMENTS: dict[str, dict[str, Check]] = {
    "keywords:existence": {"keywords": _words},
    "keywords:frequency": {"keyword": _text, "frequency": _count, "relation": _relation},
    "keywords:forbidden_words": {"forbidden_words": _words},
    "keywords:letter_frequency": {"letter": _letter, "let_frequency": _count, "let_relation": _relation},
    "language:response_language": {"language": _language},
    "length_constraints:number_sentences": {"num_sentences": _count, "relation": _relation},
    "length_constraints:number_paragraphs": {"num_paragraphs": _count},
    "length_constraints:number_words": {"num_words": _count, "relation": _relation},
    "length_constraints:nth_paragraph_first_word": {
        "num_paragraphs": _positive,
        "nth_paragraph": _positive,
        "first_word": _text,
    },
    "detectable_content:number_placeholders": {"num_placeholders": _count},
    "detectable_content:postscript": {"postscript_marker": _text},
    "detectable_format:number_bullet_lists": {"num_bullets": _count},
    "detectable_format:constrained_response": {},
    "detectable_format:number_highlighted_sections": {"num_highlights": _count},
    "detectable_format:multiple_sections": {"section_spliter": _text, "num_sections": _count},
    "detectable_format:json_format": {},
    "detectable_format:title": {},
    "combination:two_responses": {},
    "combination:repeat_prompt": {"prompt_to_repeat": _long_text},
    "startend:end_checker": {"end_phrase": _long_text},
    "change_case:capital_word_frequency": {"capital_frequency": _count, "capital_relation": _relation},
    "change_case:english_capital": {},
    "change_case:english_lowercase": {},
    "punctuation:no_comma": {},
    "startend:quotation": {},
}


def check_args(instruction_id: str, kwargs: Any, prompt: str | None = None) -> Instruction:
    """One instruction with its arguments checked against IFEval's names and meanings."""
    if instruction_id not in ARGUMENTS:
        raise ValueError(f"unknown instruction id {instruction_id!r:.80}; IFEval's ids: {sorted(ARGUMENTS)}")
    if kwargs is None:
        kwargs = {}
    if not isinstance(kwargs, dict):
        raise ValueError(f"{instruction_id}: kwargs must be an object, got {type(kwargs).__name__}")
    given = {k: v for k, v in kwargs.items() if v is not None}
    if instruction_id == "combination:repeat_prompt" and "prompt_to_repeat" not in given and prompt is not None:
        given["prompt_to_repeat"] = prompt  # the reference's prompt stands in
    wanted = ARGUMENTS[instruction_id]
    unknown = sorted(set(given) - set(wanted))
    if unknown:
        takes = sorted(wanted) or "no arguments"
        raise ValueError(f"{instruction_id}: unexpected kwargs {unknown}; it takes {takes}")
    missing = sorted(set(wanted) - set(given))
    if missing:
        raise ValueError(f"{instruction_id}: missing kwargs {missing}")
    args = {name: check(f"{instruction_id}: {name}", given[name]) for name, check in wanted.items()}
    nth_paragraph = instruction_id == "length_constraints:nth_paragraph_first_word"
    if nth_paragraph and args["nth_paragraph"] > args["num_paragraphs"]:
        raise ValueError(f"{instruction_id}: nth_paragraph {args['nth_paragraph']} > num_paragraphs")
    return Instruction(instruction_id, MappingProxyType(args))


def parse_reference(reference: str) -> Reference:
    """The reference's instructions and mode; ValueError naming the problem when it is malformed."""
    if len(reference) <= CACHED_REFERENCE_CHARS:
        return _parse_cached(reference)
    return _parse(reference)


@lru_cache(maxsize=4096)
def _parse_cached(reference: str) -> Reference:
    return _parse(reference)


def _parse(reference: str) -> Reference:
    if len(reference) > MAX_REFERENCE_CHARS:
        raise ValueError(f"reference is {len(reference)} characters; the limit is {MAX_REFERENCE_CHARS}")
    try:
        data = json.loads(reference)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"reference is not JSON: {exc}"[:200]) from None
    if not isinstance(data, dict):
        raise ValueError(f"reference must be a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - {"instruction_id_list", "kwargs", "prompt", "mode", "key"})
    if unknown:
        raise ValueError(f"reference has unknown fields {unknown}")
    ids = data.get("instruction_id_list")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise ValueError("instruction_id_list must be a non-empty list of instruction ids")
    if len(ids) > MAX_INSTRUCTIONS:
        raise ValueError(f"{len(ids)} instructions; the limit is {MAX_INSTRUCTIONS}")
    kwargs = data.get("kwargs")
    if kwargs is None:
        kwargs = [{}] * len(ids)
    if not isinstance(kwargs, list) or len(kwargs) != len(ids):
        raise ValueError(f"kwargs must be a list of {len(ids)} objects, one per instruction")
    prompt = data.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        raise ValueError(f"prompt must be a string, got {type(prompt).__name__}")
    mode = data.get("mode", "strict")
    if mode not in MODES:
        raise ValueError(f"mode must be 'strict' or 'loose', got {mode!r:.40}")
    return Reference(tuple(check_args(i, k, prompt) for i, k in zip(ids, kwargs, strict=True)), mode)
