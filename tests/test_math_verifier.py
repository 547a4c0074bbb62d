"""The math verifier: symbolic equivalence, format rules, and hostile SymPy input under the pool's deadline."""

from __future__ import annotations

import time

import httpx
import pytest

from rlvr.services.runtime import Settings
from rlvr.services.verifiers.math_equiv import MathVerifier, parse_gold
from rlvr.testing.conformance import check_verifier

V = MathVerifier()
FULL = {"format": 0.5, "correctness": 1.0}
FORMAT_ONLY = {"format": 0.5, "correctness": 0.0}
NOTHING = {"format": 0.0, "correctness": 0.0}

# (completion, reference, components, flags)
CASES = [
    ("\\boxed{\\frac{1}{2}}", "0.5", FULL, ()),  # decimal = fraction
    ("\\boxed{0.5}", "\\frac{1}{2}", FULL, ()),  # and the other way round
    ("\\boxed{\\sqrt{4}}", "2", FULL, ()),  # radicals simplify
    ("\\boxed{\\frac{\\sqrt 3}{2}}", "\\frac{\\sqrt{3}}{2}", FULL, ()),  # LaTeX reference
    ("\\boxed{\\{2, 1\\}}", "\\{1,2\\}", FULL, ()),  # sets, any order
    ("\\boxed{(0,1]}", "(0,1]", FULL, ()),  # intervals
    ("\\boxed{(x+1)^2}", "x^2+2x+1", FULL, ()),  # algebraic identity
    ("The answer: \\boxed{ 3 }.", "3", FULL, ()),  # words around the box
    ("\\boxed{[0,1]}", "(0,1]", FORMAT_ONLY, ()),  # closed vs half-open interval
    ("\\boxed{\\frac{1}{3}}", "0.5", FORMAT_ONLY, ()),  # different value
    ("\\boxed{\\sqrt{3}}", "\\frac{\\sqrt{3}}{2}", FORMAT_ONLY, ()),  # different expression
    ("the answer is 0.5", "0.5", NOTHING, ("no_answer",)),  # no box
    ("\\boxed{1} or \\boxed{2}", "1", NOTHING, ("conflicting_answers",)),  # two answers
    ("\\boxed{" + "x+" * 600 + "1}", "1", NOTHING, ("too_long",)),  # not handed to SymPy
    ("\\boxed{" + "1 = " * 64 + "1}", "1", FULL, ()),  # one value, however often it is written
    ("\\boxed{" + "1 = " * 65 + "1}", "1", NOTHING, ("conflicting_answers",)),  # past 64 relations: not read
    ("\\boxed{18\\%}", "18", FULL, ()),  # a percent is the number as written
]


@pytest.mark.parametrize(("completion", "reference", "components", "flags"), CASES)
def test_spec_case(completion: str, reference: str, components: dict, flags: tuple) -> None:
    verdict = V.score(completion, reference)
    assert (verdict.components, verdict.flags) == (components, flags)


def test_unparsable_reference_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="reference"):
        parse_gold("")


@pytest.fixture
def math_url(serve) -> str:
    return serve(Settings(verifiers=["math"], workers=2, item_deadline_s=2.0))


def test_hostile_item_times_out_and_the_batch_returns_within_the_deadline(math_url: str) -> None:
    items = [
        {"completion": "\\boxed{\\frac{1}{2}}", "reference": "0.5"},
        {"completion": "\\boxed{9^{9^{9^{9}}}}", "reference": "1"},  # SymPy would compute this forever
        {"completion": "\\boxed{\\sqrt{4}}", "reference": "2"},
        {"completion": "\\boxed{3}", "reference": "4"},
    ]
    started = time.monotonic()
    reply = httpx.post(f"{math_url}/score", json={"items": items}, timeout=60)
    elapsed = time.monotonic() - started
    results = reply.json()["results"]
    assert [r["status"] for r in results] == ["scored", "timeout", "scored", "scored"]
    assert [r["reward"] for r in results] == [1.5, None, 1.5, 0.5]
    assert elapsed < 2.0 + 8.0  # the deadline plus a worker respawn
    again = httpx.post(f"{math_url}/score", json={"items": items[:1]}, timeout=60).json()["results"]
    assert again[0]["reward"] == 1.5  # the replaced worker serves the next batch


def test_math_verifier_passes_the_conformance_kit() -> None:
    check_verifier("math", samples=[("\\boxed{\\frac{1}{2}}", "0.5", 1.5), ("no box", "1", 0.0)])


def test_gsm8k_verifier_passes_the_conformance_kit() -> None:
    check_verifier("gsm8k", samples=[("#### 18", "18", 1.5), ("#### 18 or 20", "18", 0.0)])
