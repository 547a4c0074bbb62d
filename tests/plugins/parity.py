"""Verifiers with known, nonzero, per-item components, for checking what TRL really trained on.

The verdict depends only on the parity of the completion's length, so a test can predict every
logged mean: `ParityVerifier` scores every item (a=0.5, b=1.0 on odd lengths; a=0.25, b=2.0 on
even), `OddOnlyVerifier` scores odd lengths (c=0.75) and hangs on even ones until the pool's
deadline makes them `timeout`.
"""

from __future__ import annotations

import time

from rlvr.services.verifiers.base import Verdict, Verifier


class ParityVerifier(Verifier):
    name = "parity"
    version = "0.0.1"
    components = {"a": 0.5, "b": 2.0}

    def score(self, completion: str, reference: str) -> Verdict:
        odd = len(completion) % 2 == 1
        return Verdict(components={"a": 0.5, "b": 1.0} if odd else {"a": 0.25, "b": 2.0})


class OddOnlyVerifier(Verifier):
    name = "odd-only"
    version = "0.0.1"
    components = {"c": 1.0}
    isolation = "process"

    def score(self, completion: str, reference: str) -> Verdict:
        if len(completion) % 2 == 0:
            time.sleep(3600)  # the pool's item deadline turns this into `timeout`
        return Verdict(components={"c": 0.75})
