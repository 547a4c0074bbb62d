"""The gsm8k verifier: format 0.5 + correctness 1.0, per the spec in DESIGN.md.

A final answer is `#### <slot>` (slot: the rest of the line, or the next line when that is
blank), `\\boxed{<slot>}` or `<answer><slot></answer>`; nothing else counts. Every final
answer in the whole completion is read. Every scan is linear in the completion's length,
so hostile input (huge numbers, deep nesting, NUL bytes) is scored quickly, inline.

>>> v = GSM8KVerifier()
>>> v.score("48/2 = 24, so 48 + 24 = 72.\\n#### The final answer is 72", "#### 72").components
{'format': 0.5, 'correctness': 1.0}
>>> v.score("#### 18 or 20", "18").flags
('multiple_numbers',)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from services.verifiers.base import Verdict, Verifier
from services.verifiers.numeric import BigNumber, Number, Value, count_numbers, find_numbers, format_value

FORMAT_REWARD = 0.5
CORRECTNESS_REWARD = 1.0

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


def _boxed_answers(text: str) -> list[FinalAnswer]:
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
    found = _hash_answers(text) + _boxed_answers(text) + _tag_answers(text)
    return found if len(found) < 2 else sorted(found, key=lambda a: a.start)


@lru_cache(maxsize=65536)  # a GRPO batch repeats each reference G times
def parse_reference(reference: str) -> Value:
    """The reference's value: a bare number, or the `####` line of a whole solution.

    Raises ValueError naming the problem when the reference holds no single number.

    >>> format_value(parse_reference("Natalia sold 48/2 = 24 clips.\\n#### 1,800"))
    '1800'
    """
    text = reference.strip()
    if "####" in text:
        numbers = find_numbers(text.rsplit("####", 1)[1].split("\n", 1)[0])
    elif count_numbers(text) > 1:
        # A worked solution in another style (`...\nA: 18`): its last line holds the answer.
        numbers = find_numbers(text.rsplit("\n", 1)[-1])
    else:
        numbers = find_numbers(text)
    if len(numbers) != 1:
        shown = reference if len(reference) <= 80 else reference[:77] + "..."
        raise ValueError(f"reference {shown!r} does not hold exactly one number")
    return numbers[0].value


class GSM8KVerifier(Verifier):
    """Grade-school math: one numeric final answer, compared exactly with the reference."""

    name = "gsm8k"
    version = "1.0.0"
    components = {"format": FORMAT_REWARD, "correctness": CORRECTNESS_REWARD}
    description = (
        "Final answer as `#### N`, `\\boxed{N}` or `<answer>N</answer>`; format 0.5 when exactly one "
        "numeric value is stated, correctness 1.0 when it equals the reference exactly."
    )
    isolation = "inline"
    too_long_chars = 20_000  # flagged, still read whole

    def score(self, completion: str, reference: str) -> Verdict:
        expected = parse_reference(reference)
        flags: list[str] = []
        if len(completion) > self.too_long_chars:
            flags.append("too_long")
        if "\x00" in completion:
            flags.append("control_characters")

        answers = final_answers(completion)
        if not answers:
            return Verdict(components={"format": 0.0, "correctness": 0.0}, flags=(*flags, "no_answer"))

        values: dict[Value, Number] = {}
        ambiguous = False
        for answer in answers:
            numbers = find_numbers(answer.slot)
            if len(numbers) > 1:
                ambiguous = True
            elif numbers:
                values.setdefault(numbers[0].value, numbers[0])
        if ambiguous:
            flags.append("multiple_numbers")
        if len(values) > 1:
            flags.append("conflicting_answers")
        if not values and not ambiguous:
            flags.append("unparsable_answer")
        if any(isinstance(v, BigNumber) for v in values):
            flags.append("huge_number")
        if ambiguous or len(values) != 1:
            return Verdict(components={"format": 0.0, "correctness": 0.0}, flags=tuple(flags))

        (value,) = values
        correct = value == expected
        return Verdict(
            components={"format": FORMAT_REWARD, "correctness": CORRECTNESS_REWARD if correct else 0.0},
            answer=format_value(value),
            flags=tuple(flags),
        )
