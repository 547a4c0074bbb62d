r"""Finds final-answer slots in a completion: `#### …`, `\boxed{…}` and `<answer>…</answer>`.

Answer tags are read as an HTML parser reads them (any case, whitespace or attributes before `>`;
an answer never closed runs to the end of the text); docs/verifiers/gsm8k.md has the rules.
Every scan is linear in the text's length: brace matching is one pass, nested boxes are read
once (inside their outermost box), and each `>` that ends a tag is searched for once.

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
# HTML tags: the name ends at whitespace, `/` or `>`; the tag (attributes and all) at the next `>`.
_ANSWER_OPEN = re.compile(r"<answer(?=[\t\n\f\r />])", re.IGNORECASE)
_ANSWER_CLOSE = re.compile(r"</answer(?=[\t\n\f\r />])", re.IGNORECASE)
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
    """Every `<answer …>…</answer …>`, read as HTML reads it.

    A tag ends at the first `>` after its name (HTML's quoted attribute values are not honoured: a
    `>` inside one ends the tag early, which only puts more text in the slot). An opening inside an
    answer is part of that answer; an answer never closed, or whose closing tag never ends, runs to
    the end of the text, so that no malformed tag hides what it opened. Each `>` is searched for at
    most once: tag starts only move forward, so a search never rescans what an earlier one passed.
    """
    if "<" not in text or _ANSWER_OPEN.search(text) is None:
        return []
    closes = _ANSWER_CLOSE.finditer(text)  # read alongside the openings, never listed whole
    close = next(closes, None)
    answers: list[FinalAnswer] = []
    covered = gt = -1
    for m in _ANSWER_OPEN.finditer(text):
        if m.start() < covered:
            continue  # an opening tag inside the previous answer
        if gt < m.end():
            gt = text.find(">", m.end())
        if gt < 0:
            break  # this tag, and every later one, never ends: HTML reads no element
        while close is not None and close.start() <= gt:
            close = next(closes, None)
        if close is None:
            answers.append(FinalAnswer("tag", m.start(), text[gt + 1 :]))
            break
        answers.append(FinalAnswer("tag", m.start(), text[gt + 1 : close.start()]))
        gt = text.find(">", close.end())
        if gt < 0:
            break  # the closing tag never ends: nothing after it is a tag
        covered = gt + 1
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
