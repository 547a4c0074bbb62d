r"""The `math` verifier: symbolic equivalence of a `\boxed{}` answer with a LaTeX reference (math-verify).

The rules: docs/verifiers/math.md. Format 0.5 when the completion states exactly one `\boxed{}`
answer that parses as math; correctness 1.0 when math-verify finds it equal to the reference (`0.5` = `\frac{1}{2}`,
`\sqrt{4}` = `2`, sets, intervals). A box's content is read as math-verify reads a box: `\$16,\!386.20`
is 16386.2 and `12 $ and $13` is {12, 13}. Several different boxes are conflicting answers and earn
nothing, with one exception: when the reference is a collection (a set such as `\{1,2,3\}` or
`\pm 2`, a tuple, a union of intervals, several solutions `x=1 \text{ or } x=2`), boxes that
together state it (`\boxed{1}, \boxed{2} and \boxed{3}`) are one answer. Boxed intermediate values
still conflict: for a single-valued reference any second value does, and for a collection the
extra values make the joined answer differ from it. One box states one value: `\boxed{19 = 18}`,
`\boxed{18 \to 19}` and `\boxed{18 \text{ (or 19)}}` conflict (math_statements.py), and a percent
is the number as written (`18\%` is 18).

The gold is parsed first, then the answer: `verify(gold, answer)` is not symmetric. SymPy can hang
on hostile input (`9^{9^{9^{9}}}`), so this verifier runs in the worker pool, whose hard deadline
kills and replaces a stuck worker; math-verify's own SIGALRM timeouts are off (they cannot work off
the main thread anyway).

>>> v = MathVerifier()
>>> v.score(r"so the answer is \boxed{\frac{1}{2}}", "0.5").components
{'format': 0.5, 'correctness': 1.0}
>>> v.score(r"\boxed{\$16,\!386.20}", "16386.2").components
{'format': 0.5, 'correctness': 1.0}
>>> v.score(r"\boxed{1}, \boxed{2} and \boxed{3}", r"\{1,2,3\}").components
{'format': 0.5, 'correctness': 1.0}
>>> v.score(r"\boxed{3}, so \boxed{5}", "5").flags
('conflicting_answers',)
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

from rlvr.services.verifiers.base import Verdict, Verifier
from rlvr.services.verifiers.extract import boxed_answers
from rlvr.services.verifiers.math_statements import conflicting, may_state_several

FORMAT_REWARD = 0.5
CORRECTNESS_REWARD = 1.0
MAX_ANSWER_CHARS = 1_000  # longer answers (all boxes together) are not handed to SymPy
MAX_REFERENCE_CHARS = 2_000

# math-verify warns on every call that its own timeouts are off; the pool's deadline replaces them.
logging.getLogger("math_verify").setLevel(logging.ERROR)

_MATH_DOLLAR = re.compile(r"(?<!\\)\$")  # a `$` that opens or closes math mode; `\$` is a dollar sign
_PERCENT = re.compile(r"\\?%")


def without_percent(text: str) -> str:
    r"""A percent is the number as written: `18\%` is 18, never 0.18 (math-verify takes `18\%` for 18
    against `18` and for 0.18 against `0.18`; one box must mean one thing)."""
    return _PERCENT.sub("", text) if "%" in text else text


def _boxed(text: str) -> str:
    return f"\\boxed{{{text.strip()}}}"


def _reference_latex(text: str) -> str:
    r"""A reference in the form math-verify reads: boxed, unless it brings its own `\boxed` or `$…$`."""
    text = text.strip()
    if "\\boxed" in text or "\\fbox" in text or _MATH_DOLLAR.search(text):
        return text
    return _boxed(text)


def _parse(latex: str) -> list[Any]:
    from math_verify import parse

    return list(parse(latex, parsing_timeout=None))


def _value(parsed: list[Any] | tuple[Any, ...]) -> Any:
    """The SymPy value of a parse (math-verify appends the extracted string); None when there is none."""
    return next((p for p in parsed if not isinstance(p, str)), None)


@lru_cache(maxsize=16384)  # a GRPO batch repeats each reference G times
def parse_gold(reference: str) -> tuple[Any, ...]:
    """The reference parsed as math; ValueError naming the problem when it cannot be."""
    if len(reference) > MAX_REFERENCE_CHARS:
        raise ValueError(f"reference is {len(reference)} characters; the limit is {MAX_REFERENCE_CHARS}")
    gold = _parse(_reference_latex(without_percent(reference)))
    if not gold:
        shown = reference if len(reference) <= 80 else reference[:77] + "..."
        raise ValueError(f"reference {shown!r} does not parse as math")
    return tuple(gold)


def is_collection(value: Any) -> bool:
    r"""Whether a parsed reference states several values: `\{1,2\}`, `\pm 2`, `(3,-1)`, `(a,b)\cup(c,d)`.

    A single interval is one value (`(0,1)`: the boxes `0` and `1` are not that interval), and so is
    a one-element set.
    """
    from sympy import FiniteSet, Tuple, Union

    if isinstance(value, (FiniteSet, Tuple)):  # latex2sympy2_extended's FiniteSet subclasses SymPy's
        return len(value) > 1
    return isinstance(value, Union)


def _elements(value: Any) -> list[Any]:
    from sympy import FiniteSet

    if isinstance(value, FiniteSet):
        # latex2sympy2_extended keeps the written order (math-verify compares it with a tuple's)
        return list(getattr(value, "_unsorted_args", value.args))
    return [value]


def join_boxes(values: list[Any], gold: Any) -> Any:
    r"""Several boxes' values as one answer, the way math-verify joins `\boxed{1}, \boxed{2}`.

    Elements are kept in the order written (a tuple reference is ordered) without repeats; when the
    reference is a union of intervals, boxed intervals are joined by union.
    """
    from latex2sympy2_extended.sets import FiniteSet
    from sympy import Set, Union

    if isinstance(gold, Union) and all(isinstance(v, Set) for v in values):
        return Union(*values)
    elements: list[Any] = []
    for value in values:
        for element in _elements(value):
            if not any(element == seen for seen in elements):
                elements.append(element)
    return FiniteSet(*elements)


class MathVerifier(Verifier):
    """MATH-style answers: expressions, fractions, radicals, sets and intervals, compared symbolically."""

    name = "math"
    version = "1.2.0"
    components = {"format": FORMAT_REWARD, "correctness": CORRECTNESS_REWARD}
    description = (
        "One \\boxed{} answer (format 0.5), symbolically equal to the LaTeX reference by math-verify "
        "(correctness 1.0); boxes that together state a collection reference are one answer. "
        "Runs in the worker pool with a hard per-item deadline."
    )
    isolation = "process"

    def warm_up(self) -> None:
        self.score("\\boxed{1}", "1")  # imports math-verify and SymPy, exercises parse and verify

    def score(self, completion: str, reference: str) -> Verdict:
        from math_verify import verify

        gold = parse_gold(reference)
        nothing = {"format": 0.0, "correctness": 0.0}
        # distinct slots, in order of appearance
        slots = list(dict.fromkeys(" ".join(without_percent(box.slot).split()) for box in boxed_answers(completion)))
        if not slots:
            return Verdict(components=nothing, flags=("no_answer",))
        gold_value = _value(gold)
        if len(slots) == 1:
            (slot,) = slots
            if len(slot) > MAX_ANSWER_CHARS:
                return Verdict(components=nothing, flags=("too_long",))
            collection = gold_value is not None and is_collection(gold_value)
            if may_state_several(slot) and conflicting(slot, gold_value, collection):
                return Verdict(components=nothing, flags=("conflicting_answers",))
            answer = _parse(_boxed(slot))
            if not answer:
                return Verdict(components=nothing, flags=("unparsable_answer",))
            correct = verify(list(gold), answer, timeout_seconds=None)
            return Verdict(
                components={"format": FORMAT_REWARD, "correctness": CORRECTNESS_REWARD if correct else 0.0},
                answer=slot,
            )
        # Several different boxes: one answer only if the reference is a collection they state together.
        if gold_value is None or not is_collection(gold_value):
            return Verdict(components=nothing, flags=("conflicting_answers",))
        if sum(len(slot) for slot in slots) > MAX_ANSWER_CHARS:
            return Verdict(components=nothing, flags=("too_long",))
        if any(may_state_several(slot) and conflicting(slot, gold_value, True) for slot in slots):
            return Verdict(components=nothing, flags=("conflicting_answers",))
        values = [_value(_parse(_boxed(slot))) for slot in slots]
        if any(value is None for value in values):
            return Verdict(components=nothing, flags=("conflicting_answers",))
        try:
            joined = join_boxes(values, gold_value)
        except Exception:  # SymPy refusing a combination (matrices in a set, …) is not our caller's problem
            return Verdict(components=nothing, flags=("conflicting_answers",))
        if not verify([gold_value], [joined], timeout_seconds=None):
            return Verdict(components=nothing, flags=("conflicting_answers",))
        return Verdict(
            components={"format": FORMAT_REWARD, "correctness": CORRECTNESS_REWARD},
            answer=", ".join(slots),
        )
