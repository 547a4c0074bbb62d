"""Hand-written IFEval cases: (instruction id, kwargs, response, followed?) — one that follows and one
that does not for each of the 25 ids, plus the edges IFEval's rules decide (tests/test_ifeval_*.py)."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

CASES: list[tuple[str, dict[str, Any], str, bool]] = [
    ("keywords:existence", {"keywords": ["river", "stone"]}, "The River carried a STONE.", True),
    ("keywords:existence", {"keywords": ["river", "stone"]}, "The river was calm.", False),
    ("keywords:existence", {"keywords": ["cat"]}, "Concatenate them.", True),  # a substring, as IFEval searches
    ("keywords:frequency", {"keyword": "cat", "frequency": 2, "relation": "at least"}, "A cat met a Cat.", True),
    ("keywords:frequency", {"keyword": "cat", "frequency": 2, "relation": "at least"}, "One cat.", False),
    ("keywords:frequency", {"keyword": "very", "frequency": 2, "relation": "less than"}, "Very good.", True),
    ("keywords:frequency", {"keyword": "very", "frequency": 2, "relation": "less than"}, "very very good", False),
    ("keywords:forbidden_words", {"forbidden_words": ["bad", "awful"]}, "It was good, badminton too.", True),
    ("keywords:forbidden_words", {"forbidden_words": ["bad", "awful"]}, "That is Awful!", False),
    ("keywords:letter_frequency", {"letter": "z", "let_frequency": 2, "let_relation": "at least"}, "Zebra zone", True),
    ("keywords:letter_frequency", {"letter": "z", "let_frequency": 2, "let_relation": "at least"}, "zebra", False),
    ("keywords:letter_frequency", {"letter": "a", "let_frequency": 3, "let_relation": "less than"}, "A banana", False),
    ("language:response_language", {"language": "de"}, "Das ist ein schöner Tag, und wir gehen heute spazieren.", True),
    ("language:response_language", {"language": "de"}, "This is a nice day and we are going for a walk today.", False),
    ("language:response_language", {"language": "de"}, "12345 !!! 678", True),  # no language found: IFEval passes
    ("length_constraints:number_sentences", {"num_sentences": 3, "relation": "less than"}, "One. Two.", True),
    ("length_constraints:number_sentences", {"num_sentences": 3, "relation": "less than"}, "A. B is. C is. D.", False),
    ("length_constraints:number_sentences", {"num_sentences": 2, "relation": "at least"}, "Dr. Li came. He sat.", True),
    ("length_constraints:number_sentences", {"num_sentences": 3, "relation": "at least"}, "Dr. Li came. He sat", False),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "First one.\n***\nSecond one.", True),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "First.\n***\n\n***\nSecond.", False),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "***\nFirst.\n***\nSecond.\n***", True),
    ("length_constraints:number_words", {"num_words": 5, "relation": "at least"}, "one two three four five", True),
    ("length_constraints:number_words", {"num_words": 5, "relation": "at least"}, "one two, three-four five", True),
    ("length_constraints:number_words", {"num_words": 5, "relation": "at least"}, "one two three", False),
    ("length_constraints:number_words", {"num_words": 3, "relation": "less than"}, "I don't know", False),  # 4 words
    ("length_constraints:nth_paragraph_first_word", {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "then"},
     "First part.\n\n\"Then,\" the second.", True),
    ("length_constraints:nth_paragraph_first_word", {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "then"},
     "First part.\n\nNext part.", False),
    ("length_constraints:nth_paragraph_first_word", {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "then"},
     "First.\n\nThen second.\n\nThen third.", False),  # three paragraphs
    ("detectable_content:number_placeholders", {"num_placeholders": 2}, "Dear [name], at [address].", True),
    ("detectable_content:number_placeholders", {"num_placeholders": 2}, "Dear [name], at [address\n].", False),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}, "Hello.\n\np. s. see you", True),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}, "Hello, see you.", False),
    ("detectable_content:postscript", {"postscript_marker": "P.P.S"}, "Hi.\nP.P.S. one more", True),
    ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "List:\n* one\n  * two", True),
    ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "* one\n* two\n- three", False),
    ("detectable_format:number_bullet_lists", {"num_bullets": 1}, "**bold** line\n* one", True),
    ("detectable_format:constrained_response", {}, "I thought about it. My answer is maybe.", True),
    ("detectable_format:constrained_response", {}, "Maybe.", False),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2}, "*one* and **two**", True),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2}, "*one* and * *", False),
    ("detectable_format:multiple_sections", {"section_spliter": "Section", "num_sections": 2},
     "Section 1\nIntro.\nSection 2\nBody.", True),
    ("detectable_format:multiple_sections", {"section_spliter": "SECTION", "num_sections": 2},
     "SECTION 1\nOnly one.", False),
    ("detectable_format:json_format", {}, '```json\n{"a": [1, 2]}\n```', True),
    ("detectable_format:json_format", {}, "{a: 1}", False),
    ("detectable_format:json_format", {}, "{}", True),  # vacuous, and IFEval accepts it
    ("detectable_format:title", {}, "<<A Title>>\nBody.", True),
    ("detectable_format:title", {}, "<< >> and <<\n>>", False),
    ("combination:two_responses", {}, "First answer.\n******\nSecond answer.", True),
    ("combination:two_responses", {}, "Same.\n******\nSame.", False),
    ("combination:repeat_prompt", {"prompt_to_repeat": "Write a poem."}, "write a poem. Roses are red.", True),
    ("combination:repeat_prompt", {"prompt_to_repeat": "Write a poem."}, "Roses are red.", False),
    ("startend:end_checker", {"end_phrase": "Any other questions?"}, '"Done. Any other questions?"', True),
    ("startend:end_checker", {"end_phrase": "Any other questions?"}, "Any other questions? Yes.", False),
    ("change_case:capital_word_frequency", {"capital_frequency": 3, "capital_relation": "at least"},
     "I DON'T know.", True),  # I, DO, N'T: NLTK splits the contraction
    ("change_case:capital_word_frequency", {"capital_frequency": 3, "capital_relation": "at least"},
     "The big DOG ran.", False),
    ("change_case:capital_word_frequency", {"capital_frequency": 2, "capital_relation": "less than"},
     "Only ONE capital word.", True),
    ("change_case:english_capital", {}, "THIS ANSWER IS WRITTEN IN CAPITAL LETTERS ONLY.", True),
    ("change_case:english_capital", {}, "This answer is not.", False),
    ("change_case:english_lowercase", {}, "this answer is written in lower case letters only.", True),
    ("change_case:english_lowercase", {}, "This answer is not.", False),
    ("punctuation:no_comma", {}, "No commas at all here.", True),
    ("punctuation:no_comma", {}, "Yes, one comma.", False),
    ("startend:quotation", {}, ' "Wrapped in quotes." ', True),
    ("startend:quotation", {}, '"', False),
]  # fmt: skip

# Loose mode: IFEval's variants without the first/last line and without `*` (strict, loose).
LOOSE_CASES: list[tuple[str, dict[str, Any], str, bool, bool]] = [
    ("punctuation:no_comma", {}, "Sure, here it is:\nNo commas here.", False, True),
    ("startend:quotation", {}, 'Here you go:\n"Quoted."', False, True),
    ("detectable_format:json_format", {}, 'Here is the JSON:\n{"a": 1}\nHope it helps!', False, True),
    ("startend:end_checker", {"end_phrase": "Bye."}, "Text. Bye.\n**Note**: none", False, True),
    ("detectable_format:title", {}, "No title here.", False, False),
]


def reference(*instructions: tuple[str, dict[str, Any]], **extra: Any) -> str:
    """A reference string for these (id, kwargs) pairs."""
    return json.dumps(
        {"instruction_id_list": [i for i, _ in instructions], "kwargs": [k for _, k in instructions]} | extra
    )


def require_oracle() -> None:
    """Skip without IFEval's reference implementation (make setup installs it); in CI, fail."""
    from rlvr.services.verifiers.ifeval import oracle

    if oracle.available():
        return
    if os.environ.get("CI"):
        pytest.fail("IFEval's reference implementation (if-verifiable) is missing: `make setup` installs it")
    pytest.skip("IFEval's reference implementation (if-verifiable) is not installed")
