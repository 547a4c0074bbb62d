"""The verifier plugin API: subclass `Verifier`, set its class attributes, write a pure `score`.

>>> class Exact(Verifier):
...     name, version, components = "exact", "1.0.0", {"match": 1.0}
...     def score(self, completion, reference):
...         return Verdict(components={"match": float(completion.strip() == reference.strip())})
>>> Exact().score("18", "18").reward
1.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a verifier found: component values, the extracted answer, and flags."""

    components: dict[str, float]
    answer: str | None = None
    flags: tuple[str, ...] = field(default=())

    @property
    def reward(self) -> float:
        return sum(self.components.values())


class Verifier:
    """Base class of every verifier; the runtime owns HTTP, deadlines and metrics.

    `score` must be pure (same input, same verdict) and must not raise on any completion:
    raise `ValueError` only for a bad *reference*, which the runtime reports as `status: error`.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    components: ClassVar[dict[str, float]]
    description: ClassVar[str] = ""
    # `process` verifiers run in the worker pool, where a hard deadline can kill a stuck item.
    isolation: ClassVar[Literal["inline", "process"]] = "inline"
    # True: every scan is linear in the input, so a small batch may score on the service's event loop.
    loop_safe: ClassVar[bool] = False

    def warm_up(self) -> None:
        """Load heavy dependencies now, so the first item's deadline is not spent importing them."""

    def item_budget_s(self, reference: str) -> float | None:
        """Time one item needs by the reference's own limits, when more than the service's item deadline."""
        return None

    def dedup_key(self, completion: str) -> str | None:
        """What makes two completions score alike for one reference; None: never deduplicated."""
        return None

    def reproducible(self, verdict: Verdict) -> bool:
        """Whether scoring the same item again gives this verdict again (the service may then cache it)."""
        return True

    def details(self) -> dict[str, object]:
        """Facts about this instance that `GET /verifiers` shows (e.g. the code sandbox's layers)."""
        return {}

    def score(self, completion: str, reference: str) -> Verdict:
        raise NotImplementedError
