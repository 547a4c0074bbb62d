"""The math verifier against math-verify's own verdict, and the pairs where our one-answer rule departs from it."""

from __future__ import annotations

import pytest
from math_verify import parse, verify

from rlvr.services.verifiers.math_equiv import MathVerifier, _reference_latex

V = MathVerifier()

# (reference, completion, math-verify's verdict, our reward, our flags)
AGREE = [
    ("16386.17", r"The total is \boxed{\$16386.17}.", True, 1.5, ()),
    ("16386.20", r"\boxed{\$16,\!386.20}", True, 1.5, ()),
    (r"\$16,\!386.20", r"\boxed{16386.2}", True, 1.5, ()),
    ("18", r"\boxed{\$18}", True, 1.5, ()),
    ("18", r"\boxed{\$ 18.00}", True, 1.5, ()),
    ("13", r"\boxed{12 $ and $13}", False, 0.5, ()),
    (r"\{12,13\}", r"\boxed{12 $ and $13}", True, 1.5, ()),
    (r"\{1,2,3\}", r"\boxed{1}, \boxed{2} and \boxed{3}", True, 1.5, ()),
    (r"\{1,2,3\}", r"\boxed{3}, \boxed{1}, \boxed{2}", True, 1.5, ()),
    (r"\{1,2,3\}", r"\boxed{1}, \boxed{2}", False, 0.0, ("conflicting_answers",)),
    (r"\{1,2,3\}", r"\boxed{\{1,2,3\}}", True, 1.5, ()),
    (r"\pm 2", r"\boxed{2} or \boxed{-2}", True, 1.5, ()),
    (r"x=1 \text{ or } x=2", r"\boxed{x=1} or \boxed{x=2}", True, 1.5, ()),
    (r"x=1 \text{ or } x=2", r"\boxed{1}, \boxed{2}", True, 1.5, ()),
    ("(3,-1)", r"$x=\boxed{3}$, $y=\boxed{-1}$", True, 1.5, ()),
    ("(3,-1)", r"\boxed{-1}, \boxed{3}", False, 0.0, ("conflicting_answers",)),  # a tuple is ordered
    ("5", r"\boxed{3}, so finally \boxed{5}", False, 0.0, ("conflicting_answers",)),
    ("1", r"\boxed{1} or \boxed{2}", False, 0.0, ("conflicting_answers",)),
    ("5", r"\boxed{5} and again \boxed{5}", True, 1.5, ()),
    (r"\frac{1}{2}", r"\boxed{0.5}", True, 1.5, ()),
    ("(0,1]", r"\boxed{[0,1]}", False, 0.5, ()),
    (r"\{5\}", r"\boxed{5}", True, 1.5, ()),
    ("10", r"\boxed{\$10} and \boxed{\$20}", False, 0.0, ("conflicting_answers",)),
]
CONFLICT = ("conflicting_answers",)
# Issue 20: one box stating two values. math-verify reads one side of a relation, or drops the text,
# and credits the hedge; here two different values conflict unless every one equals the reference.
BOX_SHAPES_AGREE = [
    ("18", r"\boxed{18 = 19}", False, 0.0, CONFLICT),
    ("18", r"\boxed{18 \text{ or } 19}", False, 0.0, CONFLICT),
    ("18", r"\boxed{18 or 19}", False, 0.0, CONFLICT),
    ("18", r"\boxed{18 \ne 19}", False, 0.0, CONFLICT),
    ("18", r"\boxed{18 < 19}", False, 0.0, CONFLICT),
    ("18", r"\boxed{19 > 18}", False, 0.0, CONFLICT),
    ("18", r"\boxed{18 \le 19}", False, 0.0, CONFLICT),
    ("18", r"\boxed{18 \geq 19}", False, 0.0, CONFLICT),
    ("18", r"\boxed{x = 18}", True, 1.5, ()),  # a variable name is not a value
    ("18", r"\boxed{18 = 18}", True, 1.5, ()),  # every value equals the reference
    ("18", r"\boxed{\frac{36}{2} = 18}", True, 1.5, ()),
    ("18", r"\boxed{18 \approx 18.0}", True, 1.5, ()),
    ("18", r"\boxed{19 = 19}", False, 0.5, ()),  # one value, written twice, wrong
    ("0.2", r"\boxed{P(X=3) = 0.2}", True, 1.5, ()),  # a relation inside brackets states no value
    ("x > 3", r"\boxed{x > 3}", True, 1.5, ()),
    ("1 < x < 3", r"\boxed{1 < x < 3}", True, 1.5, ()),  # bounds on a variable
    (r"x=1 \text{ or } x=2", r"\boxed{x=1 \text{ or } x=2}", True, 1.5, ()),  # a collection's elements
    (r"\{1,2\}", r"\boxed{1 \text{ or } 2}", True, 1.5, ()),
    (r"x=1 \text{ or } x=2", r"\boxed{x = 1 \text{ (or 4)}} and \boxed{x = 2}", False, 0.0, CONFLICT),
    ("18", r"\boxed{18\%}", True, 1.5, ()),  # a percent is the number as written
    (r"18\%", r"\boxed{18}", True, 1.5, ()),
]
BOX_SHAPES_OVERRIDE = [
    ("18", r"\boxed{19 = 18}", True, 0.0, CONFLICT),
    ("18", r"\boxed{x = 19 = 18}", True, 0.0, CONFLICT),
    ("18", r"\boxed{(19 = 18)}", True, 0.0, CONFLICT),
    ("18", r"\boxed{18 \approx 19}", True, 0.0, CONFLICT),
    ("19", r"\boxed{18 \to 19}", True, 0.0, CONFLICT),
    ("19", r"\boxed{18 \Rightarrow 19}", True, 0.0, CONFLICT),
    ("18", r"\boxed{18 \text{ (or 19)}}", True, 0.0, CONFLICT),
    ("18", r"\boxed{18 \text{ (approximately 19)}}", True, 0.0, CONFLICT),  # numbers in \text{} are values
    ("19", r"\boxed{19 \text{ cm} = 18 \text{ cm}}", True, 0.0, CONFLICT),
    (r"\frac{1}{3}", r"\boxed{\frac{1}{3} \approx 0.333}", True, 0.0, CONFLICT),  # an approximation is another value
    ("2", r"\boxed{x^2 = 4 \implies x = 2}", True, 0.0, CONFLICT),  # box the answer, not the derivation
    (r"\{1,2,3\}", r"\boxed{1 \approx 4}, \boxed{2}, \boxed{3}", True, 0.0, CONFLICT),  # also among boxes
    # math-verify reads an integer percent as written against an integer, as a fraction against a decimal
    ("0.18", r"\boxed{18\%}", True, 0.5, ()),
    ("18.0", r"\boxed{18\%}", False, 1.5, ()),
    ("18.5", r"\boxed{18.5\%}", False, 1.5, ()),
    ("0.185", r"\boxed{18.5\%}", True, 0.5, ()),
    (r"18\%", r"\boxed{0.18}", True, 0.5, ()),
]
AGREE += BOX_SHAPES_AGREE
# Deliberate departures: the one-answer rule (boxed intermediate values earn nothing), a single
# interval is not a collection, and each box is read on its own (math-verify joins `\boxed{1}, \boxed{234}`
# into `1,234` = 1234; it keeps a union of boxed intervals as a set of intervals).
OVERRIDE = [
    ("5", r"\boxed{3} so finally \boxed{5}", True, 0.0, ("conflicting_answers",)),
    (r"\frac{1}{2}", r"\boxed{\frac{1}{2}} = \boxed{0.5}", True, 0.0, ("conflicting_answers",)),
    (
        r"\{1,2,3\}",
        r"Trying x=4 gives \boxed{4}, which fails the check, so we discard it and continue with the other "
        r"cases. Finally \boxed{1}, \boxed{2}, \boxed{3}",
        True,
        0.0,
        ("conflicting_answers",),
    ),
    ("(1,2)", r"\boxed{1} and \boxed{2}", True, 0.0, ("conflicting_answers",)),
    ("1234", r"\boxed{1}, \boxed{234}", True, 0.0, ("conflicting_answers",)),
    (r"\{1,234\}", r"\boxed{1}, \boxed{234}", False, 1.5, ()),
    (r"(-\infty,1)\cup(2,\infty)", r"\boxed{(-\infty,1)} and \boxed{(2,\infty)}", False, 1.5, ()),
    *BOX_SHAPES_OVERRIDE,
]


def _theirs(reference: str, completion: str) -> bool:
    gold = parse(_reference_latex(reference), parsing_timeout=None)
    return verify(gold, parse(completion, parsing_timeout=None), timeout_seconds=None)


@pytest.mark.parametrize(("reference", "completion", "theirs", "reward", "flags"), AGREE + OVERRIDE)
def test_verdict(reference: str, completion: str, theirs: bool, reward: float, flags: tuple) -> None:
    assert _theirs(reference, completion) is theirs  # pins math-verify's behaviour: an upgrade shows here
    verdict = V.score(completion, reference)
    assert (verdict.reward, verdict.flags) == (reward, flags)


@pytest.mark.parametrize(("reference", "completion", "theirs", "reward", "flags"), AGREE)
def test_agreement_with_math_verify(reference: str, completion: str, theirs: bool, reward: float, flags: tuple) -> None:
    assert (V.score(completion, reference).components["correctness"] == 1.0) is theirs


def test_through_a_real_server(serve) -> None:
    """Both classes of issue 14 (currency in a box, a collection over several boxes) via /score."""
    import httpx

    from rlvr.services.runtime import Settings

    url = serve(Settings(verifiers=["math"], workers=1))
    rows = AGREE + OVERRIDE
    body = {"items": [{"completion": c, "reference": r} for r, c, *_ in rows]}
    results = httpx.post(f"{url}/score", json=body, timeout=120).json()["results"]
    assert [(r["status"], r["reward"], tuple(r["flags"])) for r in results] == [
        ("scored", reward, flags) for *_, reward, flags in rows
    ]
    description = httpx.get(f"{url}/verifiers").json()["verifiers"][0]
    assert description["version"] == "1.2.0" and "collection" in description["description"]
