r"""Finds final-answer slots in a completion: `#### …`, `\boxed{…}` and `<answer>…</answer>`.

Every scan is linear in the text's length: brace matching is one pass, nested boxes are read
once (inside their outermost box), and unclosed tags cost one look-up, however many there are.

>>> [a.slot for a in final_answers(r"so \boxed{\frac{1}{2}} and #### 0.5")]
['\\frac{1}{2}', ' 0.5']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HASH_MARKER = re.compile(r"#{4,}")
_BOX_OPEN = re.compile(r"\\(?:boxed|fbox)\s*\{")
_BRACE = re.compile(r"\\[{}]|[{}]")  # escaped braces (`\{`) are not grouping
_ANSWER_OPEN = re.compile(r"<answer>", re.IGNORECASE)
_ANSWER_CLOSE = re.compile(r"</answer>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FinalAnswer:
    """One final-answer slot found in a completion."""

    form: str  # "hash", "boxed" or "tag"
    start: int
    slot: str


def _hash_answers(text: str) -> list[FinalAnswer]:
    if "####" not in text:
        return []
    markers = [m.span() for m in _HASH_MARKER.finditer(text)]
    answers = []
    for i, (start, end) in enumerate(markers):
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        stop = min(line_end, markers[i + 1][0]) if i + 1 < len(markers) else line_end
        slot = text[end:stop]
        if not slot.strip() and stop == line_end and line_end < len(text):
            # `####` alone on its line: the answer is on the next non-blank line.
            nxt = line_end + 1
            while nxt < len(text) and text[nxt] in " \t\r\n":
                nxt += 1
            nxt_end = text.find("\n", nxt)
            nxt_end = len(text) if nxt_end < 0 else nxt_end
            if i + 1 < len(markers):
                nxt_end = min(nxt_end, markers[i + 1][0])
            slot = text[nxt:nxt_end] if nxt < nxt_end else ""
        answers.append(FinalAnswer("hash", start, slot))
    return answers


def _matching_braces(text: str) -> dict[int, int]:
    """Position of each `{` -> position of its `}`, in one pass."""
    stack: list[int] = []
    pairs: dict[int, int] = {}
    for m in _BRACE.finditer(text):
        token = m.group(0)
        if token == "{":
            stack.append(m.start())
        elif token == "}" and stack:
            pairs[stack.pop()] = m.start()
    return pairs


def boxed_answers(text: str) -> list[FinalAnswer]:
    if "\\boxed" not in text and "\\fbox" not in text:
        return []
    pairs = _matching_braces(text)
    answers, covered = [], -1
    for m in _BOX_OPEN.finditer(text):
        brace = m.end() - 1
        if brace < covered or brace not in pairs:
            continue  # nested inside an outer box (read with it) or never closed
        close = pairs[brace]
        answers.append(FinalAnswer("boxed", m.start(), text[brace + 1 : close]))
        covered = close
    return answers


def _tag_answers(text: str) -> list[FinalAnswer]:
    if "<" not in text or _ANSWER_OPEN.search(text) is None:
        return []
    closes = [m.span() for m in _ANSWER_CLOSE.finditer(text)]
    answers, ci, covered = [], 0, -1
    for m in _ANSWER_OPEN.finditer(text):
        if m.start() < covered:
            continue  # an opening tag inside the previous answer
        while ci < len(closes) and closes[ci][0] < m.end():
            ci += 1
        if ci == len(closes):
            break
        answers.append(FinalAnswer("tag", m.start(), text[m.end() : closes[ci][0]]))
        covered = closes[ci][1]
        ci += 1
    return answers


def final_answers(text: str) -> list[FinalAnswer]:
    """Every final-answer slot in the completion, in order of appearance."""
    found = _hash_answers(text) + boxed_answers(text) + _tag_answers(text)
    return found if len(found) < 2 else sorted(found, key=lambda a: a.start)
