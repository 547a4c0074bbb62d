"""Verifiers with known, nonzero, per-item components, for checking what TRL really trained on.

The verdict depends only on the *reference* (its CRC-32 is odd or even), never on what the model
wrote, so a test can predict every logged mean whatever a random model generates:
`ParityVerifier` scores every item (a=0.5, b=1.0 on odd references; a=0.25, b=2.0 on even),
`OddOnlyVerifier` scores odd ones (c=0.75) and hangs on even ones until the pool's deadline makes
them `timeout`.
"""

from __future__ import annotations

import time
import zlib

from rlvr.services.verifiers.base import Verdict, Verifier


def is_odd(reference: str) -> bool:
    return zlib.crc32(reference.encode()) % 2 == 1


class ParityVerifier(Verifier):
    name = "parity"
    version = "0.0.1"
    components = {"a": 0.5, "b": 2.0}

    def score(self, completion: str, reference: str) -> Verdict:
        odd = is_odd(reference)
        return Verdict(components={"a": 0.5, "b": 1.0} if odd else {"a": 0.25, "b": 2.0})


class OddOnlyVerifier(Verifier):
    name = "odd-only"
    version = "0.0.1"
    components = {"c": 1.0}
    isolation = "process"

    def score(self, completion: str, reference: str) -> Verdict:
        if not is_odd(reference):
            time.sleep(3600)  # the pool's item deadline turns this into `timeout`
        return Verdict(components={"c": 0.75})
