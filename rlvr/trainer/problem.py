"""One training or evaluation problem, whatever its source (data.py, code_tasks.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """A question, a worked solution and the reference its verifier compares against.

    >>> Problem("2+2?", "2+2=4\n#### 4", "4").answer
    '4'
    """

    question: str
    solution: str  # worked solution ending in `#### N`
    reference: str  # what the verifier compares against (the solution itself, as GSM8K ships it)
    kind: str = "math"  # `code`: the question is a programming task, the solution a program (code_tasks.py)

    @property
    def answer(self) -> str:
        return self.solution.rsplit("####", 1)[-1].strip()
