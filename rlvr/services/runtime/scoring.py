"""Scores inline verifiers off the event loop, item by item against the request's budget.

Verdict checking lives in `rlvr.services.verifiers.outcome`; this is the runtime's part: budgets.
"""

from __future__ import annotations

import threading
import time

from rlvr.services.protocol import Status
from rlvr.services.verifiers.base import Verifier
from rlvr.services.verifiers.outcome import Outcome, score_one


def score_into(
    verifier: Verifier,
    items: list[tuple[str, str]],
    out: list[Outcome | None],
    stop_at: float,
    abort: threading.Event,
) -> None:
    """Fill `out` in item order until done, `stop_at` (monotonic) passes or `abort` is set.

    Runs in the service's one inline thread; the budget is checked between items, so work
    abandoned by a finished request stops after the item in hand (every scan is linear, so that
    item is bounded by the body limit).
    """
    for index, (completion, reference) in enumerate(items):
        if abort.is_set() or time.monotonic() >= stop_at:
            return
        out[index] = score_one(verifier, completion, reference)


def deadline_outcome(deadline_s: float) -> Outcome:
    """The outcome of an item the request's time budget ran out on."""
    return Outcome.failed(
        Status.TIMEOUT, f"not judged within the request's deadline of {deadline_s:g}s", "deadline_exceeded"
    )
