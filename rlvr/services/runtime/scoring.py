"""A scored batch, and the scoring of inline verifiers off the event loop, item by item against the
request's budget. Verdict checking lives in `rlvr.services.verifiers.outcome`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rlvr.services.protocol import Status
from rlvr.services.verifiers.base import Verifier
from rlvr.services.verifiers.outcome import Outcome, score_one


class Judge(Protocol):
    """Who judged items: a local verifier or a remote one (remote.py); what results and adapters name."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def components(self) -> dict[str, float]: ...


class Mixed:
    """The verifiers of a request that mixed several, as the response's top-level `verifier` names them:
    `gsm8k+math`, version `1.2.0+1.2.0`, and every component any of them has (docs/protocol.md)."""

    def __init__(self, verifiers: Sequence[Judge]) -> None:
        self.name = "+".join(v.name for v in verifiers)
        self.version = "+".join(v.version for v in verifiers)
        self.components: dict[str, float] = {}
        for verifier in verifiers:
            for name, maximum in verifier.components.items():
                self.components[name] = max(maximum, self.components.get(name, maximum))


@dataclass(frozen=True, slots=True)
class ScoredBatch:
    """One scored request: who judged it, and an outcome per item, in item order.

    `judged_by` names each item's verifier when the request mixed several (None: `verifier` judged all).
    """

    request_id: str
    verifier: Judge
    ids: list[str]
    outcomes: list[Outcome]
    judged_by: Sequence[Judge] | None = None

    def result_dicts(self) -> list[dict[str, Any]]:
        """The protocol-v1 results as plain data (encoded once with orjson: cheaper than models)."""
        results = [outcome.to_dict(item_id) for item_id, outcome in zip(self.ids, self.outcomes, strict=True)]
        if self.judged_by is not None:
            for result, verifier in zip(results, self.judged_by, strict=True):
                result["verifier"] = {"name": verifier.name, "version": verifier.version}
        return results

    def components_of(self, index: int) -> dict[str, float]:
        """The components the verifier of item `index` declares."""
        return (self.judged_by[index] if self.judged_by is not None else self.verifier).components

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
