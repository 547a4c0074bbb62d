"""IFEval's layout checks (placeholders, bullets, titles, highlights, sections, paragraphs, JSON,
postscripts) with IFEval's own rules, each a single linear pass.

Where IFEval's regex backtracks quadratically on hostile text (`\\[.*?\\]` on a line of `[`,
`^\\s*\\*[^\\*].*$` on a run of newlines, `<<[^\\n]+>>` on a line of `<`), the same matches are
found by a scan; the comments give IFEval's pattern each one replaces.

>>> count_placeholders("Dear [name], meet me at [place] [unclosed")
2
>>> count_bullets("Intro\\n* one\\n* two\\n- three\\n**bold** is not a bullet")
3
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from rlvr.services.verifiers.ifeval.text import kwarg_pattern

_HIGHLIGHT = re.compile(r"\*[^\n\*]*\*")  # IFEval's own patterns: both linear
_DOUBLE_HIGHLIGHT = re.compile(r"\*\*[^\n\*]*\*\*")
_PARAGRAPH_DIVIDER = re.compile(r"\s?\*\*\*\s?")
_NON_SPACE = re.compile(r"\S")


def count_placeholders(value: str) -> int:
    """Matches of `\\[.*?\\]`: a `[` and the next `]` on the same line (`.` stops at `\\n` only)."""
    count, pos, line_end = 0, 0, -1
    while (start := value.find("[", pos)) >= 0:
        if start > line_end:  # a new line: find its end once, not once per `[` (quadratic on one long line)
            line_end = value.find("\n", start)
            line_end = len(value) if line_end < 0 else line_end
        close = value.find("]", start + 1, line_end)
        if close < 0:  # no `]` after this `[` on its line, so none after any later `[` of the line either
            pos = line_end + 1
            continue
        count, pos = count + 1, close + 1
    return count


def _line_start(value: str, pos: int) -> int:
    """The first position >= pos where `^` matches in MULTILINE mode (-1: none)."""
    if pos == 0 or (pos <= len(value) and value[pos - 1] == "\n"):
        return pos
    newline = value.find("\n", pos)
    return -1 if newline < 0 else newline + 1


def _count_marked_lines(value: str, marker: str) -> int:
    """Matches of `^\\s*\\*[^\\*].*$` (marker `*`) or `^\\s*-.*$` (marker `-`), MULTILINE.

    `\\s*` crosses newlines: from a line start, skip all whitespace; a match needs the marker there
    (for `*`, followed by any character but `*`, a newline included) and ends at the next newline.
    Every line start inside a skipped run lands on the same character, so a failure jumps past it.
    """
    count, pos, size = 0, 0, len(value)
    while pos <= size and (start := _line_start(value, pos)) >= 0:
        found = _NON_SPACE.search(value, start)
        first = found.start() if found else size
        body = first + (2 if marker == "*" else 1)
        if first < size and value[first] == marker and (marker == "-" or (body <= size and value[body - 1] != "*")):
            end = value.find("\n", body)
            count, pos = count + 1, size if end < 0 else end
            if end < 0:
                break
        else:
            pos = first + 1
    return count


def count_bullets(value: str) -> int:
    """IFEval's bullets: lines starting with `* ` (not `**`) or `-`, indentation allowed."""
    return _count_marked_lines(value, "*") + _count_marked_lines(value, "-")


def count_highlights(value: str) -> int:
    """`*text*` and `**text**` spans on one line with some non-blank text (IFEval counts both)."""
    single = sum(1 for m in _HIGHLIGHT.finditer(value) if m.group().strip("*").strip())
    double = sum(1 for m in _DOUBLE_HIGHLIGHT.finditer(value) if m.group()[2:-2].strip())
    return single + double


def has_title(value: str) -> bool:
    """A match of `<<[^\\n]+>>` with some text once the brackets are stripped.

    On a line, the match runs from its first `<<` to its last `>>` (greedy), or there is none.
    """
    pos = 0
    while (start := value.find("<<", pos)) >= 0:
        line_end = value.find("\n", start)
        line_end = len(value) if line_end < 0 else line_end
        close = value.rfind(">>", start + 3, line_end)
        if close >= 0 and value[start : close + 2].lstrip("<").rstrip(">").strip():
            return True
        pos = line_end + 1
    return False


def count_sections(value: str, splitter: str) -> int:
    """Matches of `\\s?SPLITTER\\s?\\d+\\s?` (IFEval splits on it and counts the pieces after the first)."""
    pattern = re.compile(r"\s?" + kwarg_pattern(splitter.strip()) + r"\s?\d+\s?")
    return sum(1 for _ in pattern.finditer(value))


def paragraphs_divided(value: str, wanted: int) -> bool:
    """Exactly `wanted` paragraphs divided by `***`; an empty one is allowed only first or last."""
    paragraphs = _PARAGRAPH_DIVIDER.split(value)
    count = len(paragraphs)
    for index, paragraph in enumerate(paragraphs):
        if not paragraph.strip():
            if index in (0, len(paragraphs) - 1):
                count -= 1
            else:
                return False
    return count == wanted


def nth_paragraph_first_word(value: str, args: Mapping[str, Any]) -> bool:
    """`num_paragraphs` paragraphs divided by blank lines (`\\n\\n`), the nth starting with `first_word`."""
    paragraphs = value.split("\n\n")
    count = sum(1 for paragraph in paragraphs if paragraph.strip())
    nth = args["nth_paragraph"]
    if nth > count:
        return False
    paragraph = paragraphs[nth - 1].strip()
    if not paragraph:
        return False
    word = paragraph.split(maxsplit=1)[0].strip().lstrip("'").lstrip('"')
    first_word = ""
    for letter in word:
        if letter in ".,?!'\"":
            break
        first_word += letter.lower()
    return count == args["num_paragraphs"] and first_word == args["first_word"].lower()


def is_json(value: str) -> bool:
    """The whole response parses as JSON once stripped of a ```json fence (any value: `{}` too)."""
    value = value.strip()
    for prefix in ("```json", "```Json", "```JSON", "```"):
        value = value.removeprefix(prefix)
    value = value.removesuffix("```").strip()
    try:
        json.loads(value)
    except (ValueError, RecursionError):  # IFEval catches ValueError; deep nesting is not JSON it reads either
        return False
    return True


def two_responses(value: str) -> bool:
    """Two different non-blank responses divided by `******`, nothing blank between dividers."""
    valid = []
    pieces = value.split("******")
    for index, piece in enumerate(pieces):
        if piece.strip():
            valid.append(piece)
        elif index not in (0, len(pieces) - 1):
            return False
    return len(valid) == 2 and valid[0].strip() != valid[1].strip()


def has_postscript(value: str, marker: str) -> bool:
    """A line holding the marker, case-insensitively (IFEval's `\\s*MARKER.*$`, MULTILINE)."""
    marker = marker.strip()
    if marker == "P.P.S":
        pattern = r"p\.\s?p\.\s?s"
    elif marker == "P.S.":
        pattern = r"p\.\s?s\."
    else:
        pattern = kwarg_pattern(marker.lower())
    # IFEval's leading `\s*` and trailing `.*$` match wherever the marker does: dropped, they cannot backtrack
    return re.search(pattern, value.lower()) is not None
