"""A verifier that hangs, crashes or raises on command, to test the runtime's worker pool."""

from __future__ import annotations

import os
import time

from rlvr.services.verifiers.base import Verdict, Verifier


class MisbehavingVerifier(Verifier):
    """`hang` sleeps forever, `crash` kills its process, `raise` raises; anything else scores 1."""

    name = "misbehaving"
    version = "0.0.1"
    components = {"ok": 1.0}
    isolation = "process"

    def score(self, completion: str, reference: str) -> Verdict:
        if completion == "hang":
            time.sleep(3600)
        if completion == "crash":
            os._exit(3)
        if completion == "raise":
            raise RuntimeError("boom")
        return Verdict(components={"ok": 1.0}, answer=completion)
