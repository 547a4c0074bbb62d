"""A scored batch, and the scoring of inline verifiers off the event loop, item by item against the
request's budget. Verdict checking lives in `rlvr.services.verifiers.outcome`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from rlvr.services.protocol import Status
from rlvr.services.verifiers.base import Verifier
from rlvr.services.verifiers.outcome import Outcome, score_one


@dataclass(frozen=True, slots=True)
class ScoredBatch:
    """One scored request: who judged it, and an outcome per item, in item order."""

    request_id: str
    verifier: Verifier
    ids: list[str]
    outcomes: list[Outcome]

    def result_dicts(self) -> list[dict[str, Any]]:
        """The protocol-v1 results as plain data (encoded once with orjson: cheaper than models)."""
        return [outcome.to_dict(item_id) for item_id, outcome in zip(self.ids, self.outcomes, strict=True)]

    def replace(self, index: int, outcome: Outcome) -> None:
        """Overrule one item's outcome (an adapter that found the item unusable)."""
        self.outcomes[index] = outcome


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
