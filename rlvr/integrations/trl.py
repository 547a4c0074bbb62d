"""Reward functions for your own TRL `GRPOTrainer`, backed by reward services over HTTP.

The same code the rlvr trainer uses: one `/score` request per endpoint per generation batch,
shared by the component functions; an item any endpoint could not score is None for every
function (TRL leaves the row out); retries with backoff; nothing invented when a service is down.

    from rlvr.integrations.trl import Endpoint, reward_functions
    rewards = reward_functions([Endpoint("gsm8k", "http://127.0.0.1:8000")], reference_column="answer")
    trainer = GRPOTrainer(model, reward_funcs=rewards.funcs, train_dataset=dataset,
                          args=GRPOConfig(reward_weights=rewards.weights, ...))

Needs only pydantic and httpx (`pip install rlvr`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rlvr.client import Endpoint, RewardClient, RewardServiceError, completion_text
from rlvr.client.masking import masked_rows
from rlvr.services.protocol import ItemResult, ScoreItem, Status

log = logging.getLogger(__name__)

__all__ = ["Endpoint", "RewardSetup", "reward_functions"]


class SharedBatch:
    """Lets several component functions share one in-flight request for the same batch.

    TRL awaits all async reward functions together with `asyncio.gather`, so they start at the
    same moment: the first one creates the request task, the others await that same task.
    """

    def __init__(self, client: RewardClient, consumers: int) -> None:
        self.client = client
        self.consumers = consumers
        self._inflight: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Any]] = {}
        self.last_latency_s = 0.0  # wall time of the latest batch's request(s)

    async def _timed_score(self, items: list[ScoreItem]) -> list[ItemResult]:
        started = time.perf_counter()
        try:
            return await self.client.score(items)
        finally:
            self.last_latency_s = time.perf_counter() - started

    async def results(self, completions: Sequence[Any], references: Sequence[str]) -> list[ItemResult]:
        texts = [completion_text(c) for c in completions]
        key = (tuple(texts), tuple(references))  # the batch itself: a hash could collide
        entry = self._inflight.get(key)
        if entry is None:
            items = [
                ScoreItem(id=str(i), completion=t, reference=r)
                for i, (t, r) in enumerate(zip(texts, references, strict=True))
            ]
            entry = self._inflight[key] = [asyncio.ensure_future(self._timed_score(items)), 0]
        entry[1] += 1
        if entry[1] >= self.consumers:
            del self._inflight[key]
        result: list[ItemResult] = await entry[0]
        return result


RewardFunc = Callable[..., Awaitable[list[float | None]]]


def component_reward_func(
    batches: dict[str, SharedBatch],
    endpoint: str,
    component: str,
    name: str,
    log_status: bool,
    reference_key: str = "reference",
) -> RewardFunc:
    """A TRL reward function returning one component of `endpoint`'s results.

    An item is None for *every* function when *any* endpoint could not score it: TRL then leaves
    the whole row out (NaN-aware means, zero advantage) instead of summing the other endpoints'
    components as if the failed one had given 0. A scored result without the component is a
    protocol error, never a zero.
    """

    async def reward(completions: list[Any], log_metric: Any = None, **columns: Any) -> list[float | None]:
        if reference_key not in columns:
            raise RewardServiceError(
                f"reward function {name}: the dataset has no {reference_key!r} column (it has {sorted(columns)})"
            )
        reference = [str(r) for r in columns[reference_key]]
        names = list(batches)
        answers = await asyncio.gather(*(batches[n].results(completions, reference) for n in names))
        per_endpoint = dict(zip(names, answers, strict=True))
        masked = masked_rows(answers)
        results = per_endpoint[endpoint]
        if log_status and log_metric is not None:  # once per endpoint, not once per component
            unscored = sum(r.status != Status.SCORED for r in results)
            log_metric(f"reward_service/{endpoint}/unscored_frac", unscored / max(len(results), 1))
            log_metric(f"reward_service/{endpoint}/latency_s", batches[endpoint].last_latency_s)
            if endpoint == names[0]:
                log_metric("reward_service/masked_frac", sum(masked) / max(len(masked), 1))
        out: list[float | None] = []
        for result, mask in zip(results, masked, strict=True):
            if mask:
                out.append(None)
            elif component not in result.components:
                raise RewardServiceError(
                    f"reward service {batches[endpoint].client.url} scored item {result.id} without its declared "
                    f"component {component!r} (it sent {sorted(result.components)})"
                )
            else:
                out.append(result.components[component])
        return out

    reward.__name__ = reward.__qualname__ = name
    return reward


@dataclass
class RewardSetup:
    """What GRPOTrainer needs (`funcs`, `weights`) and what the run should record (`verifiers`)."""

    funcs: list[RewardFunc] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    clients: list[RewardClient] = field(default_factory=list)
    verifiers: dict[str, dict[str, str]] = field(default_factory=dict)  # endpoint -> {name, version, url}


def reward_functions(endpoints: list[Endpoint], reference_column: str = "reference") -> RewardSetup:
    """Ask each endpoint which components its verifier has, then make one function per weighted component.

    Functions are named after the component (`format`, `correctness`) with one endpoint and
    `<endpoint>_<component>` with several, so TRL logs `rewards/<name>/mean` for each. The dataset
    column `reference_column` holds the references.
    """
    setup = RewardSetup()
    chosen: list[tuple[Endpoint, RewardClient, dict[str, float]]] = []
    for endpoint in endpoints:
        client = RewardClient(endpoint)
        hosted = {v.name: v for v in client.describe().verifiers}
        if endpoint.verifier is None and len(hosted) != 1:
            raise ValueError(f"endpoint {endpoint.name!r} hosts {sorted(hosted)}: set its `verifier`")
        if endpoint.verifier is not None and endpoint.verifier not in hosted:
            raise ValueError(f"endpoint {endpoint.name!r} hosts {sorted(hosted)}, not {endpoint.verifier!r}")
        info = hosted[endpoint.verifier] if endpoint.verifier else next(iter(hosted.values()))
        weights = endpoint.weights if endpoint.weights is not None else dict.fromkeys(info.components, 1.0)
        unknown = sorted(set(weights) - set(info.components))
        if unknown:
            raise ValueError(
                f"endpoint {endpoint.name!r}: {info.name} has no components {unknown}; it has {sorted(info.components)}"
            )
        chosen.append((endpoint, client, weights))
        setup.clients.append(client)
        setup.verifiers[endpoint.name] = {"name": info.name, "version": info.version, "url": endpoint.url}
        log.info("endpoint %s: %s %s, components %s", endpoint.name, info.name, info.version, weights)
    # Every function reads every endpoint's results (to mask an item any endpoint failed on), so each
    # endpoint's one in-flight request per batch is shared by all the functions.
    consumers = sum(len(weights) for _, _, weights in chosen)
    batches = {endpoint.name: SharedBatch(client, consumers) for endpoint, client, _ in chosen}
    for endpoint, _, weights in chosen:
        for position, (component, weight) in enumerate(weights.items()):
            name = component if len(endpoints) == 1 else f"{endpoint.name}_{component}"
            setup.funcs.append(
                component_reward_func(
                    batches, endpoint.name, component, name, log_status=position == 0, reference_key=reference_column
                )
            )
            setup.weights.append(float(weight))
    return setup
