"""The ifeval verifier: each of IFEval's 25 instructions followed and not, checked against IFEval's own
code (if-verifiable) and hand-written truth; scoring, flags and labelled reference errors."""

from __future__ import annotations

import doctest
import importlib
import json
from typing import Any

import pytest

from rlvr.services.verifiers.ifeval import oracle
from rlvr.services.verifiers.ifeval.checks import CHECKS, follows
from rlvr.services.verifiers.ifeval.spec import ARGUMENTS, parse_reference
from rlvr.services.verifiers.ifeval.verifier import IFEvalVerifier
from tests.ifeval_cases import CASES, LOOSE_CASES, reference, require_oracle


def test_every_ifeval_instruction_has_a_check_and_cases_both_ways() -> None:
    assert set(CHECKS) == set(ARGUMENTS) and len(CHECKS) == 25
    assert {(i, f) for i, _, _, f in CASES} == {(i, f) for i in CHECKS for f in (True, False)}


@pytest.mark.parametrize(("instruction_id", "kwargs", "response", "followed"), CASES)
def test_verdict_matches_hand_truth_and_ifeval(instruction_id: str, kwargs: dict, response: str, followed: bool):
    assert follows(instruction_id, response, kwargs) is followed
    require_oracle()
    assert oracle.reference_follows(instruction_id, response, kwargs) is followed


@pytest.mark.parametrize(("instruction_id", "kwargs", "response", "strict", "loose"), LOOSE_CASES)
def test_loose_mode_tries_ifevals_variants(instruction_id: str, kwargs: dict, response: str, strict: bool, loose: bool):
    assert (follows(instruction_id, response, kwargs), follows(instruction_id, response, kwargs, "loose")) == (
        strict,
        loose,
    )
    require_oracle()
    assert oracle.reference_follows(instruction_id, response, kwargs, mode="loose") is loose


@pytest.mark.parametrize("instruction_id", sorted(CHECKS))
@pytest.mark.parametrize("response", ["", "   \n\t "])
def test_a_blank_response_follows_nothing(instruction_id: str, response: str) -> None:
    kwargs = next(k for i, k, _, _ in CASES if i == instruction_id)
    assert not follows(instruction_id, response, kwargs)
    assert not follows(instruction_id, response, kwargs, "loose")


def test_all_followed_scores_full_marks() -> None:
    ref = reference(("punctuation:no_comma", {}), ("startend:quotation", {}), ("detectable_format:title", {}))
    verdict = IFEvalVerifier().score('"<<Title>> No commas here."', ref)
    assert verdict.components == {"correctness": 1.0, "partial": 0.5}
    assert verdict.answer == "3/3" and verdict.flags == ()


def test_partial_credit_and_flags_name_what_was_missed() -> None:
    ref = reference(
        ("punctuation:no_comma", {}),
        ("length_constraints:number_words", {"num_words": 3, "relation": "less than"}),
        ("startend:quotation", {}),
        ("punctuation:no_comma", {}),
    )
    verdict = IFEvalVerifier().score("Yes, many words in this answer.", ref)
    assert verdict.answer == "0/4" and verdict.components == {"correctness": 0.0, "partial": 0.0}
    assert verdict.flags == ("punctuation:no_comma", "length_constraints:number_words", "startend:quotation")
    verdict = IFEvalVerifier().score('"Few words"', ref)
    assert verdict.answer == "4/4"
    verdict = IFEvalVerifier().score('"Yes, few"', ref)
    assert verdict.answer == "2/4" and verdict.components == {"correctness": 0.0, "partial": 0.25}


def test_an_empty_completion_follows_nothing_even_vacuous_instructions() -> None:
    ref = reference(("punctuation:no_comma", {}), ("keywords:forbidden_words", {"forbidden_words": ["x"]}))
    verdict = IFEvalVerifier().score("", ref)
    assert verdict.answer == "0/2" and verdict.reward == 0.0


def test_loose_mode_from_the_reference() -> None:
    completion = "Sure, here it is:\nNo commas here."
    strict = IFEvalVerifier().score(completion, reference(("punctuation:no_comma", {})))
    loose = IFEvalVerifier().score(completion, reference(("punctuation:no_comma", {}), mode="loose"))
    assert (strict.answer, loose.answer) == ("0/1", "1/1")


def test_a_google_ifeval_row_is_a_reference_as_it_is() -> None:
    # The hub's rows carry every argument name in each kwargs object, null where unused.
    names = sorted({name for args in ARGUMENTS.values() for name in args})
    row_kwargs: list[dict[str, Any]] = [
        dict.fromkeys(names),
        dict.fromkeys(names) | {"num_words": 5, "relation": "at least"},
    ]
    row = {
        "key": 1000,
        "prompt": "Write a short note without commas.",
        "instruction_id_list": ["punctuation:no_comma", "length_constraints:number_words"],
        "kwargs": row_kwargs,
    }
    verdict = IFEvalVerifier().score("This is a short note without any commas.", json.dumps(row))
    assert verdict.answer == "2/2"


def test_repeat_prompt_falls_back_on_the_reference_prompt() -> None:
    ref = reference(("combination:repeat_prompt", {}), prompt="Say hi.")
    assert IFEvalVerifier().score("Say hi. Hi!", ref).answer == "1/1"
    assert IFEvalVerifier().score("Hi!", ref).answer == "0/1"


BAD_REFERENCES = [
    ("not json", "not JSON"),
    ("[1, 2]", "JSON object"),
    ('{"instruction_id_list": []}', "non-empty list"),
    ('{"instruction_id_list": ["punctuation:commas"], "kwargs": [{}]}', "unknown instruction id 'punctuation:commas'"),
    ('{"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}, {}]}', "one per instruction"),
    ('{"instruction_ids": ["punctuation:no_comma"]}', "unknown fields ['instruction_ids']"),
    ('{"instruction_id_list": ["punctuation:no_comma"], "mode": "lenient"}', "mode must be"),
    (reference(("punctuation:no_comma", {"num_words": 3})), "unexpected kwargs ['num_words']"),
    (reference(("length_constraints:number_words", {"num_words": 3})), "missing kwargs ['relation']"),
    (reference(("length_constraints:number_words", {"num_words": "3", "relation": "less than"})), "non-negative"),
    (reference(("length_constraints:number_words", {"num_words": 3, "relation": "at most"})), "relation must be"),
    (reference(("keywords:letter_frequency", {"letter": "ab", "let_frequency": 1, "let_relation": "at least"})),
     "one ASCII letter"),
    (reference(("language:response_language", {"language": "xx"})), "language codes"),
    (reference(("keywords:existence", {"keywords": []})), "list of 1 to 32"),
    (reference(("startend:end_checker", {"end_phrase": "  "})), "non-empty string"),
    (reference(("length_constraints:nth_paragraph_first_word",
                {"num_paragraphs": 2, "nth_paragraph": 3, "first_word": "so"})), "nth_paragraph 3 > num_paragraphs"),
    (reference(*[("punctuation:no_comma", {})] * 33), "the limit is 32"),
]  # fmt: skip


@pytest.mark.parametrize(("ref", "problem"), BAD_REFERENCES)
def test_a_bad_reference_raises_value_error_naming_the_problem(ref: str, problem: str) -> None:
    with pytest.raises(ValueError, match=None) as raised:
        IFEvalVerifier().score("Any completion.", ref)
    assert problem in str(raised.value)


def test_parsed_references_are_cached_and_immutable() -> None:
    ref = reference(("punctuation:no_comma", {}))
    assert parse_reference(ref) is parse_reference(ref)
    with pytest.raises(TypeError):
        parse_reference(reference(("keywords:existence", {"keywords": ["a"]}))).instructions[0].args["x"] = 1  # type: ignore[index]


def test_keywords_cannot_inject_a_pattern() -> None:
    # IFEval compiles keywords as regexes; here only `.` keeps its meaning, so `(a+)+$` is text.
    ref = reference(("keywords:existence", {"keywords": ["(a+)+$"]}))
    assert IFEvalVerifier().score("a" * 5000 + "!", ref).answer == "0/1"
    assert IFEvalVerifier().score("it says (a+)+$ here", ref).answer == "1/1"


@pytest.mark.parametrize("module", ["spec", "text", "checks", "layout", "verifier"])
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"rlvr.services.verifiers.ifeval.{module}"))
    assert result.attempted > 0 and result.failed == 0
