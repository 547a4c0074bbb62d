"""How an answer slot is split into what it states (alternatives at `or`, relation chains), and the
docstring examples of the answer-reading modules."""

from __future__ import annotations

import doctest
import importlib

import pytest

from rlvr.services.verifiers.statements import MAX_SEPARATORS, balanced, split_statement

# (slot, parts of each alternative, whether each alternative is an order chain)
SPLITS = [
    ("18", [("18",)], [False]),
    ("19 = 18", [("19 ", " 18")], [False]),
    ("x = 19 = 18", [("x ", " 19 ", " 18")], [False]),
    (r"18 \approx 19", [("18 ", " 19")], [False]),
    (r"18 \to 19", [("18 ", " 19")], [False]),
    ("18 -> 19", [("18 ", " 19")], [False]),
    ("18 => 19", [("18 ", " 19")], [False]),
    ("18 ≈ 19", [("18 ", " 19")], [False]),
    ("1 < x < 3", [("1 ", " x ", " 3")], [True]),
    ("18 <= 19", [("18 ", " 19")], [True]),
    (r"x \ge 2", [("x ", " 2")], [True]),
    (r"18 \leqslant 19", [("18 ", " 19")], [True]),
    (r"x < 3 = y", [("x ", " 3 ", " y")], [False]),  # one equality: not an order chain
    ("18 or 19", [("18 ",), (" 19",)], [False, False]),
    ("18 OR 19", [("18 ",), (" 19",)], [False, False]),
    (r"18 \text{ (or 19)}", [(r"18 \text{ (",), (" 19)}",)], [False, False]),  # `or` at any depth
    (r"x=1 \text{ or } x=2", [("x", r"1 \text{ "), (" } x", "2")], [False, False]),
    ("for 18 nor 19", [("for 18 nor 19",)], [False]),  # the word only
    ("P(X=3) = 0.2", [("P(X=3) ", " 0.2")], [False]),  # relations inside brackets stay in their part
    (r"\{x \mid x > 3\}", [(r"\{x \mid x > 3\}",)], [False]),
    ("(19 = 18)", [("(19 ", " 18)")], [False]),  # an alternative wrapped whole is read inside
    ("(1,2) = (1,2)", [("(1,2) ", " (1,2)")], [False]),
    (r"\left(1\right) = 1", [(r"\left(1\right) ", " 1")], [False]),  # `\left` is not `\le`
    (r"\neg p", [(r"\neg p",)], [False]),  # nor is `\neg` `\ne`
    (r"\top", [(r"\top",)], [False]),  # nor `\top` `\to`
]


@pytest.mark.parametrize(("slot", "parts", "ordered"), SPLITS)
def test_split_statement(slot: str, parts: list[tuple[str, ...]], ordered: list[bool]) -> None:
    chains = split_statement(slot)
    assert chains is not None
    assert [chain.parts for chain in chains] == parts
    assert [chain.ordered for chain in chains] == ordered


def test_more_separators_than_the_cap_are_not_split() -> None:
    assert split_statement("1 = " * MAX_SEPARATORS + "1") is not None
    assert split_statement("1 = " * (MAX_SEPARATORS + 1) + "1") is None


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        (r"18 \text{ (", r"18 \text{ ()}"),  # openings closed, innermost first
        (" 19)}", " 19"),  # unmatched closers dropped
        ("(0,1]", "(0,1]"),  # any closer closes any opener: an interval
        ("a)(b", "a(b)"),
    ],
)
def test_balanced(part: str, expected: str) -> None:
    assert balanced(part) == expected


@pytest.mark.parametrize(
    "module",
    ["statements", "extract", "numeric", "gsm8k", "math_statements", "math_equiv"],
)
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"rlvr.services.verifiers.{module}"))
    assert result.attempted > 0 and result.failed == 0, result
