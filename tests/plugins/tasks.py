"""Two verifiers with different components, for checking what TRL trains on when items are routed.

Verdicts depend only on the reference, never on what the model wrote, so every logged mean is
known whatever a random model generates: `alpha` gives format=0.5, correctness=1.0; `beta` gives
correctness=0.25, partial=0.75, and cannot judge a reference that says `bad` (a ValueError: status
`error`, as a reference of the wrong kind gets).
"""

from __future__ import annotations

from typing import ClassVar

from rlvr.services.verifiers.base import Verdict, Verifier


class Alpha(Verifier):
    name = "alpha"
    version = "0.0.1"
    components: ClassVar[dict[str, float]] = {"format": 0.5, "correctness": 1.0}

    def score(self, completion: str, reference: str) -> Verdict:
        return Verdict(components={"format": 0.5, "correctness": 1.0})


class Beta(Verifier):
    name = "beta"
    version = "0.0.1"
    components: ClassVar[dict[str, float]] = {"correctness": 1.0, "partial": 1.0}

    def score(self, completion: str, reference: str) -> Verdict:
        if reference.startswith("bad"):
            raise ValueError(f"beta cannot read the reference {reference!r}")
        return Verdict(components={"correctness": 0.25, "partial": 0.75})


ALPHA, BETA = "tests.plugins.tasks:Alpha", "tests.plugins.tasks:Beta"
