"""A verifier's verdict as a labelled outcome: exceptions and malformed verdicts included, nothing a
verifier returns or raises becomes a 500 or a `scored` null (docs/protocol.md, statuses).

Shared by the service's runtime (inline thread, worker pool) and the client's in-process transport.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rlvr.services.protocol import ItemResult, Status
from rlvr.services.verifiers.base import Verifier

log = logging.getLogger(__name__)

MAX_FLAGS = 32
MAX_FLAG_CHARS = 64


@dataclass(frozen=True, slots=True)
class Outcome:
    """A verifier's result for one item, before ids are attached (picklable for the pool)."""

    status: Status
    components: dict[str, float] = field(default_factory=dict)
    answer: str | None = None
    flags: tuple[str, ...] = ()
    error: str | None = None

    def to_dict(self, item_id: str) -> dict[str, Any]:
        """The wire-protocol result for this outcome, as plain data (the one place it is built)."""
        scored = self.status == Status.SCORED
        return {
            "id": item_id,
            "status": self.status.value,
            "reward": sum(self.components.values()) if scored else None,
            "components": self.components,
            "answer": self.answer,
            "flags": list(self.flags),
            "error": self.error,
        }

    def to_result(self, item_id: str) -> ItemResult:
        """The same result as a validated protocol model."""
        return ItemResult.model_validate(self.to_dict(item_id))

    @classmethod
    def failed(cls, status: Status, error: str, flag: str | None = None) -> Outcome:
        return cls(status=status, error=error, flags=(flag,) if flag else ())


def _invalid(verifier: Verifier, problem: str) -> Outcome:
    log.error("verifier %s returned an invalid verdict: %s", verifier.name, problem)
    return Outcome.failed(
        Status.ERROR, f"verifier {verifier.name!r} returned an invalid verdict: {problem}"[:500], "invalid_verdict"
    )


def check_verdict(verifier: Verifier, verdict: object) -> Outcome:
    """A `scored` outcome from a well-formed verdict, else an `error` naming the verifier and the field.

    Components must be exactly the declared names with finite numbers, flags short strings,
    the answer a string or None.
    """
    components = getattr(verdict, "components", None)
    if not isinstance(components, Mapping):
        return _invalid(verifier, f"components: expected a mapping, got {type(components).__name__}")
    if components.keys() != verifier.components.keys():  # set comparison of the views: no sets built
        declared = sorted(verifier.components)
        return _invalid(verifier, f"components: expected exactly {declared}, got {sorted(map(str, components))}")
    values: dict[str, float] = {}
    for name, value in components.items():
        if value.__class__ is not float and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return _invalid(verifier, f"components[{name!r}]: expected a number, got {type(value).__name__}")
        if not math.isfinite(value):
            return _invalid(verifier, f"components[{name!r}]: {value!r} is not finite")
        values[name] = float(value)
    if not math.isfinite(sum(values.values())):  # 1e308 + 1e308: each finite, the reward not
        return _invalid(verifier, "components: their sum (the reward) is not finite")
    flags = getattr(verdict, "flags", None)
    if not isinstance(flags, (tuple, list)) or len(flags) > MAX_FLAGS:
        return _invalid(verifier, f"flags: expected a tuple of at most {MAX_FLAGS} strings, got {type(flags).__name__}")
    for flag in flags:
        if not isinstance(flag, str) or not 0 < len(flag) <= MAX_FLAG_CHARS:
            return _invalid(verifier, f"flags: {flag!r:.80} is not a string of 1 to {MAX_FLAG_CHARS} characters")
    answer = getattr(verdict, "answer", None)
    if answer is not None and not isinstance(answer, str):
        return _invalid(verifier, f"answer: expected a string or None, got {type(answer).__name__}")
    return Outcome(Status.SCORED, values, answer, flags if flags.__class__ is tuple else tuple(flags))


def score_one(verifier: Verifier, completion: str, reference: str) -> Outcome:
    """Score one item; never raises."""
    try:
        return check_verdict(verifier, verifier.score(completion, reference))
    except ValueError as exc:  # the verifier's word for a bad reference
        return Outcome.failed(Status.ERROR, f"bad reference: {exc}"[:500], "bad_reference")
    except Exception as exc:  # a verifier bug must cost one item, not the batch
        log.exception("verifier %s raised", verifier.name)
        return Outcome.failed(Status.ERROR, f"verifier raised {type(exc).__name__}: {exc}"[:500], "verifier_error")


def score_batch(verifier: Verifier, items: list[tuple[str, str]]) -> list[Outcome]:
    """Score items in order, inline, with no budget (offline use: the CLI, evaluation)."""
    return [score_one(verifier, completion, reference) for completion, reference in items]
