r"""Finds final-answer slots in a completion: `#### …`, `\boxed{…}` and `<answer>…</answer>`.

Every scan is linear in the text's length: brace matching is one pass, nested boxes are read
once (inside their outermost box), and unclosed tags cost one look-up, however many there are.

>>> [a.slot for a in final_answers(r"so \boxed{\frac{1}{2}} and #### 0.5")]
['\\frac{1}{2}', ' 0.5']
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass
from itertools import islice

_HASH_MARKER = re.compile(r"#{4,}")
_BOX_OPEN = re.compile(r"\\(?:boxed|fbox)\s*\{")
# A box opening, an escaped brace (`\{`, not grouping) or a brace.
_BOX_OR_BRACE = re.compile(r"\\(?:boxed|fbox)\s*\{|\\[{}]|[{}]")
_ANSWER_OPEN = re.compile(r"<answer>", re.IGNORECASE)
_ANSWER_CLOSE = re.compile(r"</answer>", re.IGNORECASE)
_BLANK = re.compile(r"[ \t\r\n]*")


@dataclass(frozen=True, slots=True)
class FinalAnswer:
    """One final-answer slot found in a completion."""

    form: str  # "hash", "boxed" or "tag"
    start: int
    slot: str


def _hash_answers(text: str) -> list[FinalAnswer]:
    if "####" not in text:
        return []
    answers = []
    markers = _HASH_MARKER.finditer(text)
    marker = next(markers, None)
    line_end = -1
    while marker is not None:
        start, end = marker.span()
        marker = next(markers, None)
        next_start = len(text) if marker is None else marker.start()
        if end > line_end:  # else this marker shares the previous one's line: searching again is O(n) each
            line_end = text.find("\n", end)
            line_end = len(text) if line_end < 0 else line_end
        stop = min(line_end, next_start)
        slot = text[end:stop]
        if (not slot or slot.isspace()) and stop == line_end and line_end < len(text):
            # `####` alone on its line: the answer is on the next non-blank line.
            nxt = _BLANK.match(text, line_end + 1).end()  # type: ignore[union-attr]  # `*` always matches
            nxt_end = text.find("\n", nxt)
            nxt_end = min(len(text) if nxt_end < 0 else nxt_end, next_start)
            slot = text[nxt:nxt_end] if nxt < nxt_end else ""
        answers.append(FinalAnswer("hash", start, slot))
    return answers


def boxed_answers(text: str) -> list[FinalAnswer]:
    """Every outermost closed `\\boxed{…}`, in one pass over the braces.

    Memory is bounded by the boxes, not the braces: other braces only move a depth count (a
    stack of every `{` once held 32M entries for `{` * 32M). Braces before the first box cannot
    change what closes it, so the scan starts there.
    """
    if "\\boxed" not in text and "\\fbox" not in text:
        return []
    first = _BOX_OPEN.search(text)
    if first is None:
        return []
    # Boxes not yet closed, innermost last (brace position, depth inside it); closed boxes not
    # inside another closed box (brace, close), in order. Arrays: 8 bytes an entry, no int objects.
    open_braces, open_depths = array("q"), array("q")
    closed_braces, closed_closes = array("q"), array("q")
    depth = 0
    for m in _BOX_OR_BRACE.finditer(text, first.start()):
        token = m.group(0)
        if token == "}":
            if depth:
                if open_depths and open_depths[-1] == depth:
                    brace = open_braces.pop()
                    open_depths.pop()
                    while closed_braces and closed_braces[-1] > brace:
                        closed_braces.pop()  # nested inside this box: read with it
                        closed_closes.pop()
                    closed_braces.append(brace)
                    closed_closes.append(m.start())
                depth -= 1
        elif token == "{":
            depth += 1
        elif len(token) > 2:  # `\\boxed{`; the two-character tokens are escaped braces
            depth += 1
            open_braces.append(m.end() - 1)
            open_depths.append(depth)
    # A box opening holds one backslash, its first character.
    return [
        FinalAnswer("boxed", text.rfind("\\", 0, brace), text[brace + 1 : close])
        for brace, close in zip(closed_braces, closed_closes, strict=True)
    ]


def _tag_answers(text: str) -> list[FinalAnswer]:
    if "<" not in text or _ANSWER_OPEN.search(text) is None:
        return []
    closes = _ANSWER_CLOSE.finditer(text)  # read alongside the openings, never listed whole
    close = next(closes, None)
    answers, covered = [], -1
    for m in _ANSWER_OPEN.finditer(text):
        if m.start() < covered:
            continue  # an opening tag inside the previous answer
        while close is not None and close.start() < m.end():
            close = next(closes, None)
        if close is None:
            break
        answers.append(FinalAnswer("tag", m.start(), text[m.end() : close.start()]))
        covered = close.end()
        close = next(closes, None)
    return answers


def count_markers(text: str, limit: int) -> int:
    """How many final-answer markers the text holds (`####` runs count once per four `#`), counted
    at C speed up to `limit + 1`: a cheap test before reading slots one Python object at a time."""
    count = text.count("####") + text.count("\\boxed") + text.count("\\fbox")
    if count > limit or "<" not in text:
        return count
    return count + sum(1 for _ in islice(_ANSWER_OPEN.finditer(text), limit + 1 - count))


def final_answers(text: str) -> list[FinalAnswer]:
    """Every final-answer slot in the completion, in order of appearance."""
    found = _hash_answers(text) + boxed_answers(text) + _tag_answers(text)
    return found if len(found) < 2 else sorted(found, key=lambda a: a.start)
