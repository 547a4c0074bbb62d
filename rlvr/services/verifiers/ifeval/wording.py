"""IFEval's instructions as its prompts word them, with argument samplers and IFEval's conflict table
(which instructions may not be asked together): rlvr/trainer/ifeval_tasks.py composes training problems
from them, agreement.py draws arguments from them.

>>> INSTRUCTIONS["punctuation:no_comma"][1]({})
'In your entire response, refrain from the use of any commas.'
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from rlvr.services.verifiers.ifeval.spec import LANGUAGES, RELATIONS

_WORDS = ["river", "lantern", "window", "garden", "silver", "morning", "bridge", "letter", "market", "thunder"]
_WORDS += ["pocket", "candle", "harbor", "mirror", "orange", "pencil", "whistle", "meadow", "ticket", "planet"]
_ENDINGS = ("Any other questions?", "Is there anything else I can help with?")


def _relation(rng: random.Random) -> str:
    return rng.choice(RELATIONS)


# id -> (argument sampler, IFEval's wording of the instruction)
_Spec = tuple[Callable[[random.Random], dict[str, Any]], Callable[[dict[str, Any]], str]]
INSTRUCTIONS: dict[str, _Spec] = {
    "keywords:existence": (
        lambda r: {"keywords": sorted(r.sample(_WORDS, 2))},
        lambda a: f"Include keywords {a['keywords']} in the response.",
    ),
    "keywords:frequency": (
        lambda r: {"keyword": r.choice(_WORDS), "frequency": r.randint(1, 3), "relation": _relation(r)},
        lambda a: f"In your response, the word {a['keyword']} should appear {a['relation']} {a['frequency']} times.",
    ),
    "keywords:forbidden_words": (
        lambda r: {"forbidden_words": sorted(r.sample(_WORDS, 2))},
        lambda a: f"Do not include keywords {a['forbidden_words']} in the response.",
    ),
    "keywords:letter_frequency": (
        lambda r: {
            "letter": r.choice("abcdefghilmnoprstuwy"),
            "let_frequency": r.randint(1, 10),
            "let_relation": _relation(r),
        },
        lambda a: (
            f"In your response, the letter {a['letter']} should appear {a['let_relation']} {a['let_frequency']} times."
        ),
    ),
    "language:response_language": (
        lambda r: {"language": r.choice(sorted(LANGUAGES))},
        lambda a: (
            f"Your ENTIRE response should be in {LANGUAGES[a['language']]} language, no other language is allowed."
        ),
    ),
    "length_constraints:number_sentences": (
        lambda r: {"num_sentences": r.randint(1, 20), "relation": _relation(r)},
        lambda a: f"Your response should contain {a['relation']} {a['num_sentences']} sentences.",
    ),
    "length_constraints:number_paragraphs": (
        lambda r: {"num_paragraphs": r.randint(1, 5)},
        lambda a: (
            f"There should be {a['num_paragraphs']} paragraphs. Paragraphs are separated with the markdown divider: ***"
        ),
    ),
    "length_constraints:number_words": (
        lambda r: {"num_words": r.randint(50, 500), "relation": _relation(r)},
        lambda a: f"Answer with {a['relation']} {a['num_words']} words.",
    ),
    "length_constraints:nth_paragraph_first_word": (
        lambda r: (lambda n: {"num_paragraphs": n, "nth_paragraph": r.randint(1, n), "first_word": r.choice(_WORDS)})(
            r.randint(2, 5)
        ),
        lambda a: (
            f"There should be {a['num_paragraphs']} paragraphs. Paragraphs and only paragraphs are separated "
            "with each other by two new lines as if it was '\\n\\n' in python. "
            f"Paragraph {a['nth_paragraph']} must start with word {a['first_word']}."
        ),
    ),
    "detectable_content:number_placeholders": (
        lambda r: {"num_placeholders": r.randint(1, 4)},
        lambda a: (
            f"The response must contain at least {a['num_placeholders']} placeholders represented by square "
            "brackets, such as [address]."
        ),
    ),
    "detectable_content:postscript": (
        lambda r: {"postscript_marker": r.choice(("P.S.", "P.P.S"))},
        lambda a: (
            f"At the end of your response, please explicitly add a postscript starting with {a['postscript_marker']}"
        ),
    ),
    "detectable_format:number_bullet_lists": (
        lambda r: {"num_bullets": r.randint(1, 5)},
        lambda a: (
            f"Your answer must contain exactly {a['num_bullets']} bullet points. Use the markdown bullet "
            "points such as:\n* This is point 1. \n* This is point 2"
        ),
    ),
    "detectable_format:constrained_response": (
        lambda r: {},
        lambda a: (
            "Answer with one of the following options: ('My answer is yes.', 'My answer is no.', 'My answer is maybe.')"
        ),
    ),
    "detectable_format:number_highlighted_sections": (
        lambda r: {"num_highlights": r.randint(1, 4)},
        lambda a: (
            f"Highlight at least {a['num_highlights']} sections in your answer with markdown, i.e. "
            "*highlighted section*."
        ),
    ),
    "detectable_format:multiple_sections": (
        lambda r: {"section_spliter": r.choice(("Section", "SECTION")), "num_sections": r.randint(1, 5)},
        lambda a: (
            f"Your response must have {a['num_sections']} sections. Mark the beginning of each section with "
            f"{a['section_spliter']} X, such as:\n{a['section_spliter']} 1\n[content of section 1]\n"
            f"{a['section_spliter']} 2\n[content of section 2]"
        ),
    ),
    "detectable_format:json_format": (
        lambda r: {},
        lambda a: "Entire output should be wrapped in JSON format. You can use markdown ticks such as ```.",
    ),
    "detectable_format:title": (
        lambda r: {},
        lambda a: "Your answer must contain a title, wrapped in double angular brackets, such as <<poem of joy>>.",
    ),
    "combination:two_responses": (
        lambda r: {},
        lambda a: (
            "Give two different responses. Responses and only responses should be separated by 6 asterisk "
            "symbols: ******."
        ),
    ),
    "combination:repeat_prompt": (
        lambda r: {},  # prompt_to_repeat: the request, filled in by `_compose`
        lambda a: (
            "First repeat the request word for word without change, then give your answer (1. do not say any "
            "words or characters before repeating the request; 2. the request you need to repeat does not include "
            "this sentence)"
        ),
    ),
    "startend:end_checker": (
        lambda r: {"end_phrase": r.choice(_ENDINGS)},
        lambda a: (
            f"Finish your response with this exact phrase {a['end_phrase']}. No other words should follow this phrase."
        ),
    ),
    "change_case:capital_word_frequency": (
        lambda r: {"capital_frequency": r.randint(1, 20), "capital_relation": _relation(r)},
        lambda a: (
            f"In your response, words with all capital letters should appear {a['capital_relation']} "
            f"{a['capital_frequency']} times."
        ),
    ),
    "change_case:english_capital": (
        lambda r: {},
        lambda a: "Your entire response should be in English, and in all capital letters.",
    ),
    "change_case:english_lowercase": (
        lambda r: {},
        lambda a: (
            "Your entire response should be in English, and in all lowercase letters. No capital letters are allowed."
        ),
    ),
    "punctuation:no_comma": (
        lambda r: {},
        lambda a: "In your entire response, refrain from the use of any commas.",
    ),
    "startend:quotation": (
        lambda r: {},
        lambda a: "Wrap your entire response with double quotation marks.",
    ),
}

# IFEval's conflict table (instructions_registry.INSTRUCTION_CONFLICTS), made symmetric below.
_ALL = set(INSTRUCTIONS)
_CONFLICTS: dict[str, set[str]] = {
    "language:response_language": {"detectable_format:multiple_sections", "keywords:existence", "keywords:frequency",
                                   "keywords:forbidden_words", "startend:end_checker", "change_case:english_capital",
                                   "change_case:english_lowercase"},
    "length_constraints:number_paragraphs": {"length_constraints:nth_paragraph_first_word",
                                             "length_constraints:number_sentences"},
    "detectable_format:constrained_response": _ALL,
    "detectable_format:multiple_sections": {"language:response_language",
                                            "detectable_format:number_highlighted_sections"},
    "detectable_format:json_format": _ALL - {"keywords:forbidden_words", "keywords:existence"},
    "combination:two_responses": _ALL - {"keywords:forbidden_words", "keywords:existence",
                                         "language:response_language", "detectable_format:title",
                                         "punctuation:no_comma"},
    "combination:repeat_prompt": _ALL - {"keywords:existence", "detectable_format:title", "punctuation:no_comma"},
    "change_case:capital_word_frequency": {"change_case:english_lowercase", "change_case:english_capital"},
    "change_case:english_lowercase": {"change_case:english_capital"},
    "startend:quotation": {"detectable_format:title"},
}  # fmt: skip
CONFLICTS: dict[str, set[str]] = {i: {i} for i in INSTRUCTIONS}
for _id, _others in _CONFLICTS.items():
    for _other in _others:
        CONFLICTS[_id].add(_other)
        CONFLICTS[_other].add(_id)
