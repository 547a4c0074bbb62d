"""The gsm8k verifier: format 0.5 + correctness 1.0, per docs/verifiers/gsm8k.md.

A final answer is `#### <slot>` (slot: the rest of the line, or the next line when that is
blank), `\\boxed{<slot>}` or `<answer><slot></answer>`; nothing else counts. Every final
answer in the whole completion is read. A slot that joins numbers by relations or `or`
(`19 = 18`, `18 \\to 19`, `18 or 20`) states each of them. Every scan is linear in the
completion's length, so hostile input (huge numbers, deep nesting, NUL bytes) is scored quickly, inline.

>>> v = GSM8KVerifier()
>>> v.score("48/2 = 24, so 48 + 24 = 72.\\n#### The final answer is 72", "#### 72").components
{'format': 0.5, 'correctness': 1.0}
>>> v.score("#### 18, 20", "18").flags
('multiple_numbers',)
>>> v.score(r"\\boxed{19 = 18}", "18").flags
('conflicting_answers',)
"""

from __future__ import annotations

from functools import lru_cache

from rlvr.services.verifiers.base import Verdict, Verifier
from rlvr.services.verifiers.extract import count_markers, final_answers
from rlvr.services.verifiers.numeric import BigNumber, Number, Value, count_numbers, find_numbers, format_value
from rlvr.services.verifiers.statements import split_statement

FORMAT_REWARD = 0.5
CORRECTNESS_REWARD = 1.0


# A GRPO batch repeats each reference G times, so parsed references are cached; only short ones
# (every GSM8K solution is under 1.5 KB), so that the cache holds at most 8192 x 2 KiB = 16 MiB of
# client-supplied text however hostile the references.
CACHED_REFERENCE_CHARS = 2048


def parse_reference(reference: str) -> Value:
    """The reference's value: a bare number, or the `####` line of a whole solution.

    Raises ValueError naming the problem when the reference holds no single number.

    >>> format_value(parse_reference("Natalia sold 48/2 = 24 clips.\\n#### 1,800"))
    '1800'
    """
    if len(reference) <= CACHED_REFERENCE_CHARS:
        return _parse_short_reference(reference)
    return _parse_reference(reference)


@lru_cache(maxsize=8192)
def _parse_short_reference(reference: str) -> Value:
    return _parse_reference(reference)


def _parse_reference(reference: str) -> Value:
    text = reference.strip()
    if "####" in text:
        numbers = find_numbers(text.rsplit("####", 1)[1].split("\n", 1)[0], limit=2)
    elif count_numbers(text, limit=2) > 1:
        # A worked solution in another style (`...\nA: 18`): its last line holds the answer.
        numbers = find_numbers(text.rsplit("\n", 1)[-1], limit=2)
    else:
        numbers = find_numbers(text, limit=2)
    if len(numbers) != 1:
        shown = reference if len(reference) <= 80 else reference[:77] + "..."
        raise ValueError(f"reference {shown!r} does not hold exactly one number")
    return numbers[0].value


def stated_numbers(slot: str) -> list[Number] | None:
    """The numbers a slot of several numbers states, one per part between relation signs and `or`
    (`x = 19 = 18`: 19 and 18); None when it lists them otherwise (`18, 20`, `18-20`, `9 * 2`).

    >>> [format_value(n.value) for n in stated_numbers(r"18 \\text{ (or 19)}") or ()]
    ['18', '19']
    """
    chains = split_statement(slot)
    parts = [part for chain in chains for part in chain.parts] if chains is not None else []
    if len(parts) < 2:
        return None  # no separator (or too many): several numbers side by side
    stated = []
    for part in parts:
        numbers = find_numbers(part, limit=2)
        if len(numbers) > 1:
            return None
        stated += numbers
    return stated


class GSM8KVerifier(Verifier):
    """Grade-school math: one numeric final answer, compared exactly with the reference."""

    name = "gsm8k"
    version = "1.2.0"
    components = {"format": FORMAT_REWARD, "correctness": CORRECTNESS_REWARD}
    description = (
        "Final answer as `#### N`, `\\boxed{N}` or `<answer>N</answer>`; format 0.5 when exactly one "
        "numeric value is stated, correctness 1.0 when it equals the reference exactly."
    )
    isolation = "inline"
    loop_safe = True  # every scan is linear (tests/test_linear_scans.py)
    too_long_chars = 20_000  # flagged, still read whole
    # No honest completion states hundreds of final answers; past this it earns nothing, and the
    # verdict costs one C-speed count instead of a Python object per slot (32 MiB of `#### `: 30 s).
    max_final_answers = 256

    def score(self, completion: str, reference: str) -> Verdict:
        expected = parse_reference(reference)
        flags: list[str] = []
        if len(completion) > self.too_long_chars:
            flags.append("too_long")
        if "\x00" in completion:
            flags.append("control_characters")

        if count_markers(completion, self.max_final_answers) > self.max_final_answers:
            return Verdict(components={"format": 0.0, "correctness": 0.0}, flags=(*flags, "too_many_answers"))
        answers = final_answers(completion)
        if not answers:
            return Verdict(components={"format": 0.0, "correctness": 0.0}, flags=(*flags, "no_answer"))

        values: dict[Value, Number] = {}
        ambiguous = False
        for answer in answers:
            numbers: list[Number] | None = find_numbers(answer.slot, limit=2)  # only one-or-several matters
            if numbers and len(numbers) > 1:
                numbers = stated_numbers(answer.slot)  # `19 = 18`, `18 or 20`: each is a value stated
                ambiguous = ambiguous or numbers is None
            for number in numbers or ():
                values.setdefault(number.value, number)
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
