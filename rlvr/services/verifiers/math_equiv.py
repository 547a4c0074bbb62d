r"""The `math` verifier: symbolic equivalence of a `\boxed{}` answer with a LaTeX reference (math-verify).

Format 0.5 when the completion states exactly one `\boxed{}` answer that parses as math;
correctness 1.0 when math-verify finds it equal to the reference (`0.5` = `\frac{1}{2}`,
`\sqrt{4}` = `2`, sets, intervals). The gold is parsed first, then the answer: `verify(gold,
answer)` is not symmetric. SymPy can hang on hostile input (`9^{9^{9^{9}}}`), so this verifier
runs in the worker pool, whose hard deadline kills and replaces a stuck worker; math-verify's
own SIGALRM timeouts are off (they cannot work off the main thread anyway).

>>> v = MathVerifier()
>>> v.score(r"so the answer is \boxed{\frac{1}{2}}", "0.5").components
{'format': 0.5, 'correctness': 1.0}
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from rlvr.services.verifiers.base import Verdict, Verifier
from rlvr.services.verifiers.extract import boxed_answers

FORMAT_REWARD = 0.5
CORRECTNESS_REWARD = 1.0
MAX_ANSWER_CHARS = 1_000  # longer answers are not handed to SymPy
MAX_REFERENCE_CHARS = 2_000

# math-verify warns on every call that its own timeouts are off; the pool's deadline replaces them.
logging.getLogger("math_verify").setLevel(logging.ERROR)


def _as_latex(text: str) -> str:
    text = text.strip()
    return text if ("\\boxed" in text or "$" in text) else f"\\boxed{{{text}}}"


def _parse(text: str) -> list[Any]:
    from math_verify import parse

    return list(parse(_as_latex(text), parsing_timeout=None))


@lru_cache(maxsize=16384)  # a GRPO batch repeats each reference G times
def parse_gold(reference: str) -> tuple[Any, ...]:
    """The reference parsed as math; ValueError naming the problem when it cannot be."""
    if len(reference) > MAX_REFERENCE_CHARS:
        raise ValueError(f"reference is {len(reference)} characters; the limit is {MAX_REFERENCE_CHARS}")
    gold = _parse(reference)
    if not gold:
        shown = reference if len(reference) <= 80 else reference[:77] + "..."
        raise ValueError(f"reference {shown!r} does not parse as math")
    return tuple(gold)


class MathVerifier(Verifier):
    """MATH-style answers: expressions, fractions, radicals, sets and intervals, compared symbolically."""

    name = "math"
    version = "1.0.0"
    components = {"format": FORMAT_REWARD, "correctness": CORRECTNESS_REWARD}
    description = (
        "One \\boxed{} answer (format 0.5), symbolically equal to the LaTeX reference by math-verify "
        "(correctness 1.0). Runs in the worker pool with a hard per-item deadline."
    )
    isolation = "process"

    def warm_up(self) -> None:
        self.score("\\boxed{1}", "1")  # imports math-verify and SymPy, exercises parse and verify

    def score(self, completion: str, reference: str) -> Verdict:
        from math_verify import verify

        gold = parse_gold(reference)
        nothing = {"format": 0.0, "correctness": 0.0}
        slots = {" ".join(box.slot.split()) for box in boxed_answers(completion)}
        if not slots:
            return Verdict(components=nothing, flags=("no_answer",))
        if len(slots) > 1:
            return Verdict(components=nothing, flags=("conflicting_answers",))
        (slot,) = slots
        if len(slot) > MAX_ANSWER_CHARS:
            return Verdict(components=nothing, flags=("too_long",))
        answer = _parse(slot)
        if not answer:
            return Verdict(components=nothing, flags=("unparsable_answer",))
        correct = verify(list(gold), answer, timeout_seconds=None)
        return Verdict(
            components={"format": FORMAT_REWARD, "correctness": CORRECTNESS_REWARD if correct else 0.0},
            answer=slot,
        )
