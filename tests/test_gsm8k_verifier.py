"""The gsm8k verifier against every rule of docs/verifiers/gsm8k.md."""

from __future__ import annotations

import time

import pytest

from rlvr.services.verifiers.gsm8k import GSM8KVerifier, parse_reference
from rlvr.services.verifiers.numeric import format_value

V = GSM8KVerifier()
FULL = {"format": 0.5, "correctness": 1.0}
FORMAT_ONLY = {"format": 0.5, "correctness": 0.0}
NOTHING = {"format": 0.0, "correctness": 0.0}

# (completion, reference, expected components, expected flags)
CASES = [
    # --- the three final-answer forms
    ("So 9 * 2 = 18.\n#### 18", "18", FULL, ()),  # GSM8K's own form
    ("Let's think step by step.\n#### The final answer is 18", "18", FULL, ()),  # the published recipe's form
    ("The total is \\boxed{18}.", "18", FULL, ()),  # LaTeX box
    ("<answer>18</answer>", "18", FULL, ()),  # tags
    ("<ANSWER> 18 </Answer>", "18", FULL, ()),  # tags, any case
    ("####\n18", "18", FULL, ()),  # marker alone on its line: the next line is the slot
    ("\\boxed{\\boxed{18}}", "18", FULL, ()),  # nested boxes read once
    ("\\boxed{18} so #### 18", "18", FULL, ()),  # two forms, one value
    ("#### 18\n#### 18.0", "18", FULL, ()),  # repeated, same value
    ("#### 18\n" * 256, "18", FULL, ()),  # 256 markers: still read
    ("#### 18\n" * 257, "18", NOTHING, ("too_many_answers",)),  # runaway repetition earns nothing
    ("<answer>18</answer>" * 300, "18", NOTHING, ("too_many_answers",)),  # any form counts
    # --- strict: nothing else counts
    ("The answer is 18", "18", NOTHING, ("no_answer",)),  # last-number mode is off
    ("### 18", "18", NOTHING, ("no_answer",)),  # three hashes are a heading, not a marker
    ("\\boxed{18", "18", NOTHING, ("no_answer",)),  # unclosed box
    ("", "18", NOTHING, ("no_answer",)),  # empty completion
    ("#### the answer", "18", NOTHING, ("unparsable_answer",)),  # marker without a number
    # --- wrong answers keep the format reward
    ("#### 17", "18", FORMAT_ONLY, ()),  # wrong value
    ("\\boxed{-18}", "18", FORMAT_ONLY, ()),  # wrong sign
    # --- numbers
    ("#### $18", "18", FULL, ()),  # dollar sign
    ("#### \\$18", "18", FULL, ()),  # escaped dollar
    ("#### 1,800", "1800", FULL, ()),  # thousands separator
    ("#### 1,234,567.50", "1234567.5", FULL, ()),  # separators and decimals
    ("#### 18.", "18", FULL, ()),  # trailing period
    ("#### **18**", "18", FULL, ()),  # markdown bold
    ("#### _18_", "18", FULL, ()),  # markdown emphasis
    ("#### `18`", "18", FULL, ()),  # inline code
    ("#### 18 dollars", "18", FULL, ()),  # unit word after
    ("#### 18 cookies per box", "18", FULL, ()),  # words after
    ("#### 25%", "25", FULL, ()),  # percent sign: the number as written
    ("\\boxed{25\\%}", "25", FULL, ()),  # escaped percent
    ("#### 0018", "18", FULL, ()),  # leading zeros
    ("#### 18.00", "18", FULL, ()),  # trailing decimal zeros
    ("#### .5", "0.5", FULL, ()),  # bare decimal point
    ("#### 3/4", "0.75", FULL, ()),  # fraction
    ("\\boxed{\\frac{3}{4}}", "0.75", FULL, ()),  # LaTeX fraction
    ("\\boxed{\\dfrac{6}{8}}", "3/4", FULL, ()),  # display fraction, reduced
    ("#### −5", "-5", FULL, ()),  # unicode minus
    ("#### -5", "-5", FULL, ()),  # ASCII minus
    ("#### -$5", "-5", FULL, ()),  # minus before the dollar
    ("\\boxed{1{,}800}", "1800", FULL, ()),  # LaTeX thousands group
    ("\\boxed{1\\,800}", "1800", FULL, ()),  # LaTeX thin-space separator
    ("\\boxed{18 \\text{ dollars}}", "18", FULL, ()),  # \text unit
    ("#### 1/3", "0.333", FORMAT_ONLY, ()),  # exact rationals, no loose tolerance
    # --- references
    ("#### 72", "Natalia sold 48/2 = <<48/2=24>>24 clips.\n#### 72", FULL, ()),  # whole GSM8K solution
    ("#### 1800", "#### 1,800", FULL, ()),  # reference with separators
    ("#### 18", "18.0", FULL, ()),  # reference as decimal
    ("#### 18", "$18", FULL, ()),  # reference with a dollar sign
    # --- hacking
    ("#### 18\n#### 20", "18", NOTHING, ("conflicting_answers",)),  # two final answers
    ("\\boxed{18} ... #### 20", "20", NOTHING, ("conflicting_answers",)),  # across forms
    ("#### 18 or 20", "18", NOTHING, ("conflicting_answers",)),  # hedged slot: two values stated
    ("#### 18, 20", "18", NOTHING, ("multiple_numbers",)),  # listed slot
    ("#### 18-20", "18", NOTHING, ("multiple_numbers",)),  # range
    ("\\boxed{18, 20}", "18", NOTHING, ("multiple_numbers",)),  # list in a box
    ("#### 18 #### 20", "18", NOTHING, ("conflicting_answers",)),  # two markers on one line
    (
        "#### 18\n\nQuestion: Tom has 3 apples and buys 2 more.\nSolution: 3 + 2 = 5\n#### 5",
        "18",
        NOTHING,
        ("conflicting_answers",),
    ),  # runs on into another question and answers it
    (
        "#### 18\n" + "blah " * 5000 + "\n#### 20",
        "18",
        NOTHING,
        ("too_long", "conflicting_answers"),
    ),  # no tail clip
    ("10**10**10", "1", NOTHING, ("no_answer",)),  # never evaluated
    ("#### 10**10**10", "1", NOTHING, ("multiple_numbers",)),  # an expression is several numbers
    ("#### 3/0", "1", NOTHING, ("unparsable_answer",)),  # division by zero names no number
    ("#### 18\x00", "18", FULL, ("control_characters",)),  # NUL byte
]


@pytest.mark.parametrize(("completion", "reference", "components", "flags"), CASES)
def test_spec_case(completion: str, reference: str, components: dict, flags: tuple) -> None:
    verdict = V.score(completion, reference)
    assert verdict.components == components
    assert verdict.flags == flags
    assert verdict.reward == sum(components.values())


# A slot whose numbers are joined by relations or `or` states each of them (issue 20): two different
# values are conflicting answers, one value written twice is one answer. Before 1.2.0 such slots were
# `multiple_numbers`, whatever the values.
RELATION_CASES = [
    ("\\boxed{19 = 18}", "18", NOTHING, ("conflicting_answers",)),
    ("\\boxed{18 = 19}", "18", NOTHING, ("conflicting_answers",)),
    ("\\boxed{18 \\approx 19}", "18", NOTHING, ("conflicting_answers",)),
    ("\\boxed{18 \\to 19}", "19", NOTHING, ("conflicting_answers",)),
    ("\\boxed{18 \\Rightarrow 19}", "19", NOTHING, ("conflicting_answers",)),
    ("\\boxed{18 \\text{ (or 19)}}", "18", NOTHING, ("conflicting_answers",)),
    ("\\boxed{18 \\text{ or } 19}", "18", NOTHING, ("conflicting_answers",)),
    ("\\boxed{18 or 19}", "18", NOTHING, ("conflicting_answers",)),
    ("#### 18 (or 19)", "18", NOTHING, ("conflicting_answers",)),
    ("\\boxed{18 \\ne 19}", "18", NOTHING, ("conflicting_answers",)),
    ("\\boxed{18 < 19}", "18", NOTHING, ("conflicting_answers",)),
    ("\\boxed{19 > 18}", "18", NOTHING, ("conflicting_answers",)),
    ("\\boxed{18 \\le 19}", "18", NOTHING, ("conflicting_answers",)),
    ("\\boxed{18 \\geq 19}", "18", NOTHING, ("conflicting_answers",)),
    ("#### 18 ≈ 19", "18", NOTHING, ("conflicting_answers",)),  # unicode relations
    ("\\boxed{x = 19 = 18}", "18", NOTHING, ("conflicting_answers",)),  # a chain
    ("\\boxed{(19 = 18)}", "18", NOTHING, ("conflicting_answers",)),  # wrapped in parentheses
    ("\\boxed{x = 18}", "18", FULL, ()),  # a variable name is not a value
    ("#### The answer = 18", "18", FULL, ()),  # nor are words
    ("\\boxed{18 = 18}", "18", FULL, ()),  # one value, written twice
    ("\\boxed{\\frac{36}{2} = 18}", "18", FULL, ()),
    ("\\boxed{18 \\approx 18.0}", "18", FULL, ()),
    ("#### 1.8e1 or 18", "18", FULL, ()),
    ("\\boxed{19 = 19}", "18", FORMAT_ONLY, ()),  # one value, wrong
    ("#### 9 * 2 = 18", "18", NOTHING, ("multiple_numbers",)),  # an expression is never evaluated
    ("#### 18 or 20, 30", "18", NOTHING, ("multiple_numbers",)),  # a list in a part
    ("#### " + "18 = " * 64 + "18", "18", FULL, ()),  # 64 relations: still read
    ("#### " + "18 = " * 65 + "18", "18", NOTHING, ("multiple_numbers",)),  # past 64 relations: not split
    ("\\boxed{18\\%}", "18", FULL, ()),  # a percent is the number as written ...
    ("\\boxed{18\\%}", "0.18", FORMAT_ONLY, ()),  # ... not a fraction of one
]


@pytest.mark.parametrize(("completion", "reference", "components", "flags"), RELATION_CASES)
def test_values_joined_by_relations(completion: str, reference: str, components: dict, flags: tuple) -> None:
    verdict = V.score(completion, reference)
    assert (verdict.components, verdict.flags) == (components, flags)


# Answer tags as an HTML parser reads them (issue 20): a tag variant the verifier did not recognise
# hid its answer, so `<answer>19</answer >#### 18` earned 1.5 against 18.
TAG_CASES = [
    ("<answer>19</answer >#### 18", "18", NOTHING, ("conflicting_answers",)),  # space before `>`
    ("<answer >19</answer>\n#### 18", "18", NOTHING, ("conflicting_answers",)),  # in the opening too
    ('<Answer class="final">19</ANSWER>\n#### 18', "18", NOTHING, ("conflicting_answers",)),  # attributes, case
    ("<answer\n>19</answer\t>\n#### 18", "18", NOTHING, ("conflicting_answers",)),  # any HTML whitespace
    ("<answer/>19</answer/>\n#### 18", "18", NOTHING, ("conflicting_answers",)),  # `/` ends the name
    ("#### 18\n<answer>19", "18", NOTHING, ("conflicting_answers",)),  # never closed: runs to the end
    ("#### 18\n<answer>19</answer", "18", NOTHING, ("conflicting_answers",)),  # closing tag never ends
    ("#### 18\n<answer>19</answer x='>'>", "18", NOTHING, ("conflicting_answers",)),  # `>` in a quoted value
    ("<answer>18</answer >", "18", FULL, ()),  # a lone answer in such a tag counts
    ('<answer id="a1">18</answer>', "18", FULL, ()),
    ("<answer>18", "18", FULL, ()),  # never closed: the rest of the text is the slot
    ("<answer>18\n\nso the total is 18 dollars", "18", NOTHING, ("multiple_numbers",)),  # ... all of it
    ("<answers>19</answers>\n#### 18", "18", FULL, ()),  # another element
    ("< answer>19</answer>\n#### 18", "18", FULL, ()),  # `< answer>` is text to HTML, not a tag
    ("<answer\n#### 18", "18", FULL, ()),  # an opening tag that never ends opens nothing
]


@pytest.mark.parametrize(("completion", "reference", "components", "flags"), TAG_CASES)
def test_answer_tags_as_html_reads_them(completion: str, reference: str, components: dict, flags: tuple) -> None:
    verdict = V.score(completion, reference)
    assert (verdict.components, verdict.flags) == (components, flags)


# Scientific notation is a number form (gsm8k 1.2.0), compared exactly; a huge exponent is never
# expanded: past MAX_EXACT_DIGITS digits written out, it is compared as canonical text (`huge_number`).
SCIENTIFIC_CASES = [
    ("#### 2.5e3", "2500", FULL, ()),
    ("#### 1.8E1", "18", FULL, ()),
    ("#### 1.8e+1", "18", FULL, ()),
    ("#### 2.5e-1", "0.25", FULL, ()),
    ("#### 25E-1 dollars", "2.5", FULL, ()),
    ("#### $1.8e3", "1800", FULL, ()),
    ("\\boxed{1.8e1}", "18", FULL, ()),
    ("<answer>2.50e3</answer>", "#### 2500", FULL, ()),
    ("#### 1e3", "1001", FORMAT_ONLY, ()),  # exact: no tolerance
    ("#### 0e999999999", "0", FULL, ()),  # a zero mantissa is zero
    ("#### 1e999999999", "18", FORMAT_ONLY, ("huge_number",)),  # never expanded
    ("#### 1e-999999999", "0", FORMAT_ONLY, ("huge_number",)),  # tiny is not zero
    ("#### 10e999999998", "1e999999999", FULL, ("huge_number",)),  # canonical digits and power
    ("#### 1e" + "9" * 200_000, "18", FORMAT_ONLY, ("too_long", "huge_number")),  # an exponent of 200k digits
    ("#### 3eggs", "3", FULL, ()),  # `e` without digits is a word
]


@pytest.mark.parametrize(
    ("completion", "reference", "components", "flags"), SCIENTIFIC_CASES, ids=lambda v: repr(v)[:40]
)
def test_scientific_notation(completion: str, reference: str, components: dict, flags: tuple) -> None:
    verdict = V.score(completion, reference)
    assert (verdict.components, verdict.flags) == (components, flags)


@pytest.mark.parametrize(("reference", "value"), [("2.5e3", "2500"), ("#### 1.8E1", "18"), ("5e-1", "0.5")])
def test_scientific_reference(reference: str, value: str) -> None:
    assert format_value(parse_reference(reference)) == value


def test_answer_is_the_canonical_value() -> None:
    assert V.score("#### $1,800.00", "1800").answer == "1800"
    assert V.score("\\boxed{\\frac{6}{8}}", "0.75").answer == "0.75"
    assert V.score("#### 1/3", "1").answer == "1/3"


def test_no_answer_has_no_extracted_value() -> None:
    assert V.score("#### 18 or 20", "18").answer is None


@pytest.mark.parametrize(
    ("reference", "value"),
    [
        ("18", "18"),  # bare
        (" 18 \n", "18"),  # whitespace
        ("1,800", "1800"),  # separators
        ("-3", "-3"),  # negative
        ("0.5", "0.5"),  # decimal
        ("He has 5 + 3 = <<5+3=8>>8 apples.\n#### 8", "8"),  # GSM8K solution
        ("Janet sells 16 - 3 - 4 = 9 eggs.\nShe makes 9 * 2 = $18.\nA: 18", "18"),  # OpenAI `A: N` style
    ],
)
def test_reference_forms(reference: str, value: str) -> None:
    assert format_value(parse_reference(reference)) == value


@pytest.mark.parametrize("reference", ["", "eighteen", "18 or 20", "#### none"])
def test_bad_reference_raises_value_error(reference: str) -> None:
    with pytest.raises(ValueError, match="reference"):
        parse_reference(reference)


HOSTILE = [
    "#### " + "9" * 200_000,  # 200k-digit number
    "#### 1" + "0" * 200_000 + "/3",  # 200k-digit fraction
    "\\boxed{" * 100_000 + "18" + "}" * 100_000,  # deep nesting
    "{" * 200_000,  # unbalanced braces
    "<answer>" * 50_000,  # many unclosed tags
    "#### " * 50_000,  # many empty markers
    "-" + " " * 200_000 + "1",  # long runs that a naive regex backtracks over
    "\\frac{" * 100_000,  # unclosed fractions
    "1," * 100_000,  # separator soup
    "\x00" * 100_000 + "#### 18",  # NUL bytes
    "#### 1" + "." * 100_000 + "5",  # dots
    "#### 1e" + "9" * 200_000,  # a 200k-digit exponent
    "#### " + "1e999999999 " * 20_000,  # many huge exponents
    "1e" * 100_000,  # exponent soup
]


@pytest.mark.parametrize("completion", HOSTILE, ids=lambda c: repr(c[:16]))
def test_hostile_input_is_scored_quickly(completion: str) -> None:
    started = time.perf_counter()
    verdict = V.score(completion, "18")
    elapsed = time.perf_counter() - started
    assert set(verdict.components) == {"format", "correctness"}
    assert elapsed < 2.0, f"took {elapsed:.2f}s"  # a hang bound, not a performance goal


def test_huge_numbers_are_compared_exactly() -> None:
    big = "1" + "0" * 5000
    assert V.score(f"#### {big}", big).components == FULL
    assert V.score(f"#### {big}1", big).components == FORMAT_ONLY
    assert "huge_number" in V.score(f"#### {big}", "18").flags
