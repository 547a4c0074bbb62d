r"""The values a `\boxed{}` answer states, for the math verifier: two different ones conflict.

A box states a value per variable-free part of a relation chain or an alternative (`19 = 18`,
`18 \approx 19`, `18 \to 19`, `18 \text{ or } 19`) and per number written inside `\text{}`, which
math-verify drops (`18 \text{ (approximately 19)}` reads as 18). A variable is not a value (`x = 18`
states 18), and `1 < x < 3` bounds x rather than stating 1 and 3. The rules: docs/verifiers/math.md.
Slots are at most MAX_ANSWER_CHARS long here, and each part costs one math-verify parse.

>>> from math_verify import parse
>>> gold = parse(r"\boxed{18}")[0]
>>> conflicting(r"19 = 18", gold, collection=False), conflicting(r"x = 18", gold, collection=False)
(True, False)
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from rlvr.services.verifiers.numeric import BigNumber, find_numbers
from rlvr.services.verifiers.statements import Chain, balanced, has_separator, split_statement

_TEXT = re.compile(r"\\(?:text|textrm|textbf|textit|textsf|texttt|textnormal|mbox)\s*\{([^{}]*)\}")
_TEXT_WITH_DIGIT = re.compile(r"\\(?:text|textrm|textbf|textit|textsf|texttt|textnormal|mbox)\s*\{[^{}0-9]*[0-9]")


def may_state_several(slot: str) -> bool:
    """A cheap test: whether the box holds a relation, an `or`, or a number inside `\\text{}`."""
    return has_separator(slot) or _TEXT_WITH_DIGIT.search(slot) is not None


def conflicting(slot: str, gold: Any, collection: bool) -> bool:
    """Whether the box states two different values, unless every one equals the (single-valued)
    reference. For a collection reference its alternatives are elements (`x=1 \\text{ or } x=2`):
    values within one alternative may conflict, and so does any number inside `\\text{}`."""
    chains = split_statement(slot)
    if chains is None:
        return True  # more relations and alternatives than any honest answer holds
    if collection:  # math-verify reads no number inside `\text{}`: against a collection, one is hidden
        return bool(_text_values(slot)) or any(_differ(_chain_values(chain)) for chain in chains)
    values = [value for chain in chains for value in _chain_values(chain)] + _text_values(slot)
    if len(values) < 2:
        return False
    if gold is not None:
        matches = [_equal(gold, value) for value in values]
        if all(matches):
            return False
        if any(matches):
            return True
    return _differ(values)  # all wrong: one wrong value written twice is not a conflict


def _chain_values(chain: Chain) -> list[Any]:
    per_part = [_part_values(part) for part in chain.parts]
    if chain.ordered and not any(left and right for left, right in pairwise(per_part)):
        return []  # bounds on a variable: `1 < x < 3`, `x \ge 2`
    return [value for values in per_part for value in values]


def _part_values(part: str) -> list[Any]:
    from math_verify import parse

    text = balanced(part).strip()
    if not text or has_separator(text):
        return []  # a relation inside brackets (`P(X=3)`) states no value: math-verify would read 3
    parsed = parse(f"\\boxed{{{text}}}", parsing_timeout=None)
    return _constants(next((p for p in parsed if not isinstance(p, str)), None))


def _constants(value: Any) -> list[Any]:
    """The value when it has no free symbols (SymPy's own relations and booleans are none)."""
    from sympy.logic.boolalg import Boolean

    if value is None or isinstance(value, Boolean):  # relations, `true`/`false`, `And`
        return []
    free = getattr(value, "free_symbols", None)
    return [value] if free is not None and not free else []


def _text_values(slot: str) -> list[Any]:
    from sympy import Dummy, Rational

    values: list[Any] = []
    for m in _TEXT.finditer(slot):
        for number in find_numbers(m.group(1)):
            if isinstance(number.value, BigNumber):
                values.append(Dummy())  # too long to convert: a value that equals no other
            else:
                values.append(Rational(number.value.numerator, number.value.denominator))
    return values


def _equal(a: Any, b: Any) -> bool:
    from math_verify import verify

    try:
        return bool(verify([a], [b], timeout_seconds=None))
    except Exception:  # math-verify refusing a pair (a set against a matrix, ...) is not a match
        return False


def _differ(values: list[Any]) -> bool:
    return any(not _equal(values[0], value) for value in values[1:])
