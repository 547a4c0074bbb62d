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

from functools import lru_cache

from rlvr.services.verifiers.base import Verdict, Verifier
from rlvr.services.verifiers.extract import final_answers
from rlvr.services.verifiers.numeric import BigNumber, Number, Value, count_numbers, find_numbers, format_value

FORMAT_REWARD = 0.5
CORRECTNESS_REWARD = 1.0


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
