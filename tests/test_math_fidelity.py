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
    assert description["version"] == "1.1.0" and "collection" in description["description"]
