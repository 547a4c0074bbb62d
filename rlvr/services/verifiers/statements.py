r"""Splits an answer slot into what it states: alternatives at the word `or`, each a chain of parts
joined by relation signs (`=`, `\approx`, `\to`, `\ne`, `<`, `\le`, `≥`, ...) outside brackets.

`\boxed{19 = 18}` states two values and `\boxed{x = 18}` one: which parts are values is the
verifier's call (one number for gsm8k, a variable-free expression for math). The rules this serves:
docs/verifiers/gsm8k.md and docs/verifiers/math.md. Linear in the slot's length: the separators are
found by one regex scan (at most MAX_SEPARATORS of them are taken), brackets are counted at C speed.

>>> [chain.parts for chain in split_statement(r"x = 18 \text{ or } x \approx 19")]
[('x ', ' 18 \\text{ '), (' } x ', ' 19')]
>>> split_statement("1 < x < 3")[0].ordered, split_statement("(19 = 18)")[0].parts
(True, ('(19 ', ' 18)'))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

# No honest answer joins more values than this in one slot; past it the slot is not split.
MAX_SEPARATORS = 64

_OR = r"(?<![A-Za-z\\])[oO][rR](?![A-Za-z])"  # the word, in `\text{ or }`, `18 (or 19)`, `18 OR 19`
# Orders bound a variable (`1 < x < 3`); between two values they state both (`18 < 19`).
_ORDER = (
    r"\\(?:leqslant|geqslant|neq|leq|geq|ne|le|ge|lt|gt|ll|gg)(?![A-Za-z])"
    r"|!=|<=|>=|<|>|[≠≤≥⩽⩾≪≫]"
)
# Equalities and arrows say that both sides are the answer (`19 = 18`, `18 \to 19`).
_EQUALITY = (
    r"\\(?:approxeq|approx|simeq|sim|cong|equiv|doteq|longrightarrow|Longrightarrow|rightarrow|Rightarrow"
    r"|implies|iff|mapsto|to)(?![A-Za-z])"
    r"|==|:=|=>|->|=|[≈≃≅≡∼→⇒⟶⟹↦]"
)
_SEPARATOR = re.compile(f"(?P<alternative>{_OR})|(?P<order>{_ORDER})|(?P<equality>{_EQUALITY})")
_OPENERS, _CLOSERS = "([{", ")]}"


@dataclass(frozen=True, slots=True)
class Chain:
    """One alternative: its parts in order, and whether every relation joining them is an order."""

    parts: tuple[str, ...]
    ordered: bool  # `1 < x < 3`, `x \ge 2`; False for a single part


def has_separator(slot: str) -> bool:
    """Whether the slot holds `or` or a relation sign anywhere (a cheap test before splitting)."""
    return _SEPARATOR.search(slot) is not None


def split_statement(slot: str) -> list[Chain] | None:
    """The slot's alternatives (split at `or`, at any depth), each split at relation signs outside
    brackets; None when it holds more than MAX_SEPARATORS separators."""
    found = list(islice(_SEPARATOR.finditer(slot), MAX_SEPARATORS + 1))
    if len(found) > MAX_SEPARATORS:
        return None
    chains: list[Chain] = []
    relations: list[re.Match[str]] = []
    start = 0
    for m in found:
        if m.lastgroup == "alternative":
            chains.append(_chain(slot, start, m.start(), relations))
            start, relations = m.end(), []
        else:
            relations.append(m)
    chains.append(_chain(slot, start, len(slot), relations))
    return chains


def _depth_change(text: str, start: int, end: int) -> int:
    return sum(text.count(c, start, end) for c in _OPENERS) - sum(text.count(c, start, end) for c in _CLOSERS)


def _chain(slot: str, start: int, end: int, relations: list[re.Match[str]]) -> Chain:
    # An alternative wrapped whole in parentheses, `(19 = 18)`, is read inside them.
    stripped = slot[start:end].strip()
    depth = -1 if stripped[:1] == "(" and stripped[-1:] == ")" else 0
    parts: list[str] = []
    ordered = bool(relations)
    cursor = part_start = start
    for m in relations:
        depth += _depth_change(slot, cursor, m.start())
        cursor = m.start()
        if depth > 0:
            continue  # inside brackets: `P(X=3)`, `\{x \mid x > 3\}`
        parts.append(slot[part_start : m.start()])
        part_start = m.end()
        ordered = ordered and m.lastgroup == "order"
    parts.append(slot[part_start:end])
    return Chain(tuple(parts), ordered and len(parts) > 1)


def balanced(part: str) -> str:
    """The part with unmatched closing brackets dropped and unmatched openings closed, so that a
    piece cut out of `18 \\text{ (or 19)}` parses on its own (any closer closes any opener:
    `(0,1]` is an interval)."""
    kept: list[str] = []
    opened: list[str] = []
    for ch in part:
        if ch in _OPENERS:
            opened.append(ch)
        elif ch in _CLOSERS:
            if not opened:
                continue
            opened.pop()
        kept.append(ch)
    return "".join(kept) + "".join(_CLOSERS[_OPENERS.index(ch)] for ch in reversed(opened))
