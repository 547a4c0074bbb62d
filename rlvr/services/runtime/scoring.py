"""Runs a verifier over items and turns every outcome, exceptions included, into a labelled result."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from rlvr.services.protocol import ItemResult, Status
from rlvr.services.verifiers.base import Verifier

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    """A verifier's result for one item, before ids are attached (picklable for the pool)."""

    status: Status
    components: dict[str, float] = field(default_factory=dict)
    answer: str | None = None
    flags: tuple[str, ...] = ()
    error: str | None = None

    def to_result(self, item_id: str) -> ItemResult:
        """The wire-protocol result for this outcome."""
        scored = self.status == Status.SCORED
        return ItemResult(
            id=item_id,
            status=self.status,
            reward=sum(self.components.values()) if scored else None,
            components=self.components,
            answer=self.answer,
            flags=list(self.flags),
            error=self.error,
        )

    @classmethod
    def failed(cls, status: Status, error: str, flag: str | None = None) -> Outcome:
        return cls(status=status, error=error, flags=(flag,) if flag else ())


def score_one(verifier: Verifier, completion: str, reference: str) -> Outcome:
    """Score one item; never raises."""
    try:
        verdict = verifier.score(completion, reference)
    except ValueError as exc:  # the verifier's word for a bad reference
        return Outcome.failed(Status.ERROR, f"bad reference: {exc}", "bad_reference")
    except Exception as exc:  # a verifier bug must cost one item, not the batch
        log.exception("verifier %s raised", verifier.name)
        return Outcome.failed(Status.ERROR, f"verifier raised {type(exc).__name__}: {exc}"[:500], "verifier_error")
    return Outcome(Status.SCORED, dict(verdict.components), verdict.answer, tuple(verdict.flags))


def score_batch(verifier: Verifier, items: list[tuple[str, str]]) -> list[Outcome]:
    """Score items in order, inline."""
    return [score_one(verifier, completion, reference) for completion, reference in items]
