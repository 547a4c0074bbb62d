"""A linear inline verifier that records the thread each item was scored on (tests/test_inline_loop.py)."""

from __future__ import annotations

import threading

from rlvr.services.verifiers.base import Verdict, Verifier

SEEN: list[str] = []


class ThreadRecorder(Verifier):
    name, version, components = "threads", "1.0.0", {"match": 1.0}
    loop_safe = True

    def score(self, completion: str, reference: str) -> Verdict:
        SEEN.append(threading.current_thread().name)
        return Verdict(components={"match": float(completion.strip() == reference.strip())})
