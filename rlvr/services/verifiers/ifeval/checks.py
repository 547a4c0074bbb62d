"""IFEval's 25 instructions: one check per id, `check(response, args) -> followed`, with the rules
of google-research's instruction_following_eval (relations, counting, IFEval's own quirks).

The strict verdict is IFEval's: a blank response follows nothing. The loose one also tries the
response without its first line, its last line, both, and each of those without `*`.

>>> follows("length_constraints:number_words", "Three words here.", {"num_words": 4, "relation": "less than"})
True
>>> follows("punctuation:no_comma", "   ", {})
False
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from rlvr.services.verifiers.ifeval import layout, text

Args = Mapping[str, Any]
CONSTRAINED_RESPONSES = ("My answer is yes.", "My answer is no.", "My answer is maybe.")


def compare(actual: int, relation: str, threshold: int) -> bool:
    """IFEval's two relations: `less than` (<) and `at least` (>=)."""
    return actual < threshold if relation == "less than" else actual >= threshold


def _keywords_exist(value: str, args: Args) -> bool:
    return all(re.search(text.kwarg_pattern(k), value, re.IGNORECASE) for k in args["keywords"])


def _keyword_frequency(value: str, args: Args) -> bool:
    pattern = re.compile(text.kwarg_pattern(args["keyword"].strip()), re.IGNORECASE)
    return compare(sum(1 for _ in pattern.finditer(value)), args["relation"], args["frequency"])


def _no_forbidden_words(value: str, args: Args) -> bool:
    return not any(
        re.search(r"\b" + text.kwarg_pattern(word) + r"\b", value, re.IGNORECASE) for word in args["forbidden_words"]
    )


def _letter_frequency(value: str, args: Args) -> bool:
    return compare(value.lower().count(args["letter"]), args["let_relation"], args["let_frequency"])


def _language(value: str, args: Args) -> bool:
    found = text.detect_language(value)
    return found is None or found == args["language"]  # IFEval counts "no language found" as followed


def _english_capital(value: str, args: Args) -> bool:
    return value.isupper() and text.detect_language(value) in ("en", None)


def _english_lowercase(value: str, args: Args) -> bool:
    return value.islower() and text.detect_language(value) in ("en", None)


def _sentences(value: str, args: Args) -> bool:
    return compare(text.count_sentences(value), args["relation"], args["num_sentences"])


def _words(value: str, args: Args) -> bool:
    return compare(text.count_words(value), args["relation"], args["num_words"])


def _capital_words(value: str, args: Args) -> bool:
    return compare(text.count_capital_words(value), args["capital_relation"], args["capital_frequency"])


def _repeat_prompt(value: str, args: Args) -> bool:
    return value.strip().lower().startswith(args["prompt_to_repeat"].strip().lower())


def _ends_with(value: str, args: Args) -> bool:
    return value.strip().strip('"').lower().endswith(args["end_phrase"].strip().lower())


def _quotation(value: str, args: Args) -> bool:
    value = value.strip()
    return len(value) > 1 and value[0] == '"' and value[-1] == '"'


CHECKS: dict[str, Callable[[str, Args], bool]] = {
    "keywords:existence": _keywords_exist,
    "keywords:frequency": _keyword_frequency,
    "keywords:forbidden_words": _no_forbidden_words,
    "keywords:letter_frequency": _letter_frequency,
    "language:response_language": _language,
    "length_constraints:number_sentences": _sentences,
    "length_constraints:number_paragraphs": lambda v, a: layout.paragraphs_divided(v, a["num_paragraphs"]),
    "length_constraints:number_words": _words,
    "length_constraints:nth_paragraph_first_word": layout.nth_paragraph_first_word,
    "detectable_content:number_placeholders": lambda v, a: layout.count_placeholders(v) >= a["num_placeholders"],
    "detectable_content:postscript": lambda v, a: layout.has_postscript(v, a["postscript_marker"]),
    "detectable_format:number_bullet_lists": lambda v, a: layout.count_bullets(v) == a["num_bullets"],
    "detectable_format:constrained_response": lambda v, a: any(r in v.strip() for r in CONSTRAINED_RESPONSES),
    "detectable_format:number_highlighted_sections": lambda v, a: layout.count_highlights(v) >= a["num_highlights"],
    "detectable_format:multiple_sections": lambda v, a: (
        layout.count_sections(v, a["section_spliter"]) >= a["num_sections"]
    ),
    "detectable_format:json_format": lambda v, a: layout.is_json(v),
    "detectable_format:title": lambda v, a: layout.has_title(v),
    "combination:two_responses": lambda v, a: layout.two_responses(v),
    "combination:repeat_prompt": _repeat_prompt,
    "startend:end_checker": _ends_with,
    "change_case:capital_word_frequency": _capital_words,
    "change_case:english_capital": _english_capital,
    "change_case:english_lowercase": _english_lowercase,
    "punctuation:no_comma": lambda v, a: "," not in v,
    "startend:quotation": _quotation,
}


def loose_variants(response: str) -> Iterator[str]:
    """IFEval's loose responses: as is, without the first line, the last, both; each also without `*`."""
    first, last = response.find("\n"), response.rfind("\n")
    remove_first = response[first + 1 :].strip() if first >= 0 else ""
    remove_last = response[:last].strip() if last >= 0 else ""
    remove_both = response[first + 1 : last].strip() if 0 <= first < last else ""
    yield from (response, response.replace("*", ""), remove_first, remove_last, remove_both)
    yield from (remove_first.replace("*", ""), remove_last.replace("*", ""), remove_both.replace("*", ""))


def follows(instruction_id: str, response: str, args: Args, mode: str = "strict") -> bool:
    """Whether the response follows one instruction, in IFEval's strict or loose sense."""
    check = CHECKS[instruction_id]
    candidates = loose_variants(response) if mode == "loose" else iter((response,))
    return any(candidate.strip() and check(candidate, args) for candidate in candidates)
