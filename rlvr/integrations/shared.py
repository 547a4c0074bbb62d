"""What the TRL reward functions share: one in-flight request per endpoint per generation batch, the
dataset columns they read, and the setup `reward_functions` returns (rlvr.integrations.trl)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rlvr.client import RewardClient, RewardServiceError, completion_text
from rlvr.services.protocol import ItemResult, ScoreItem

RewardFunc = Callable[..., Awaitable[list[float | None]]]


class SharedBatch:
    """Lets several component functions share one in-flight request for the same batch.

    TRL awaits all async reward functions together with `asyncio.gather`, so they start at the
    same moment: the first one creates the request task, the others await that same task.
    """

    def __init__(self, client: RewardClient, consumers: int) -> None:
        self.client = client
        self.consumers = consumers
        self._inflight: dict[tuple[tuple[str, ...], ...], list[Any]] = {}
        self.last_latency_s = 0.0  # wall time of the latest batch's request(s)

    async def _timed_score(self, items: list[ScoreItem]) -> list[ItemResult]:
        started = time.perf_counter()
        try:
            return await self.client.score(items)
        finally:
            self.last_latency_s = time.perf_counter() - started

    async def results(
        self, completions: Sequence[Any], references: Sequence[str], verifiers: Sequence[str] | None = None
    ) -> list[ItemResult]:
        """The batch's results; `verifiers` names each item's verifier (items routed by verifier)."""
        texts = [completion_text(c) for c in completions]
        named = tuple(verifiers) if verifiers is not None else ()
        key = (tuple(texts), tuple(references), named)  # the batch itself: a hash could collide
        entry = self._inflight.get(key)
        if entry is None:
            items = [
                ScoreItem(id=str(i), completion=t, reference=r, verifier=named[i] if named else None)
                for i, (t, r) in enumerate(zip(texts, references, strict=True))
            ]
            entry = self._inflight[key] = [asyncio.ensure_future(self._timed_score(items)), 0]
        entry[1] += 1
        if entry[1] >= self.consumers:
            del self._inflight[key]
        result: list[ItemResult] = await entry[0]
        return result


def column(columns: dict[str, Any], key: str, function: str) -> list[str]:
    """A dataset column as strings, or an error naming the columns there are."""
    if key not in columns:
        raise RewardServiceError(
            f"reward function {function}: the dataset has no {key!r} column (it has {sorted(columns)})"
        )
    return [str(value) for value in columns[key]]


@dataclass
class RewardSetup:
    """What GRPOTrainer needs (`funcs`, `weights`) and what the run should record (`verifiers`)."""

    funcs: list[RewardFunc] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    clients: list[RewardClient] = field(default_factory=list)
    # endpoint -> {name, version, url}; items routed by verifier: verifier -> {name, version, url, endpoint}
    verifiers: dict[str, dict[str, str]] = field(default_factory=dict)
