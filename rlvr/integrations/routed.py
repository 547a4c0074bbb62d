"""TRL reward functions for a dataset whose `verifier` column names each item's verifier (mixed tasks).

Each item goes to the endpoint that serves its verifier (rlvr.client.routing): one request per
endpoint per generation batch, items naming their verifier, shared by every function. There is one
function per component name across the verifiers in use; an item whose verifier lacks a component
is None in that function (TRL's weighted sum skips it and its mean counts only items that have it),
and an item that could not be judged is None in every function.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from rlvr.client import RewardClient, RewardServiceError
from rlvr.client.routing import Route
from rlvr.client.watchdog import Failure, MaskWatchdog
from rlvr.integrations.shared import RewardFunc, SharedBatch, column
from rlvr.services.protocol import ItemResult, Status


class Router:
    """Splits a batch by endpoint, sends each part once, and puts the results back in item order."""

    def __init__(
        self, routes: dict[str, Route], clients: dict[str, RewardClient], consumers: int, verifier_key: str
    ) -> None:
        self.routes = routes
        self.verifier_key = verifier_key
        self.batches = {name: SharedBatch(client, consumers) for name, client in clients.items()}

    def verifiers_of(self, columns: dict[str, Any], function: str) -> list[str]:
        """The batch's verifier column; an item naming a verifier no endpoint serves stops training."""
        names = column(columns, self.verifier_key, function)
        for index, name in enumerate(names):
            if name not in self.routes:
                raise RewardServiceError(
                    f"item {index} names verifier {name!r} in column {self.verifier_key!r}; the endpoints serve "
                    f"{ {v: r.endpoint.name for v, r in self.routes.items()} } (declared at start: `verifiers`)"
                )
        return names

    def parts(self, verifiers: Sequence[str]) -> dict[str, list[int]]:
        """Item indices by endpoint name."""
        parts: dict[str, list[int]] = {}
        for index, name in enumerate(verifiers):
            parts.setdefault(self.routes[name].endpoint.name, []).append(index)
        return parts

    async def results(
        self, completions: Sequence[Any], references: Sequence[str], verifiers: Sequence[str]
    ) -> list[ItemResult]:
        parts = self.parts(verifiers)
        answers = await asyncio.gather(
            *(
                self.batches[endpoint].results(
                    [completions[i] for i in indices], [references[i] for i in indices], [verifiers[i] for i in indices]
                )
                for endpoint, indices in parts.items()
            )
        )
        ordered: list[Any] = [None] * len(verifiers)  # every index is in exactly one part
        for indices, results in zip(parts.values(), answers, strict=True):
            for index, result in zip(indices, results, strict=True):
                ordered[index] = result
        return ordered

    def value(self, result: ItemResult, verifier: str, component: str) -> float | None:
        if result.status != Status.SCORED or component not in self.routes[verifier].components:
            return None
        if component not in result.components:
            raise RewardServiceError(
                f"reward service {self.routes[verifier].endpoint.url} scored item {result.id} ({verifier}) without "
                f"its declared component {component!r} (it sent {sorted(result.components)})"
            )
        return result.components[component]

    def report(
        self,
        results: list[ItemResult],
        verifiers: list[str],
        references: list[str],
        log_metric: Any,
        watchdog: MaskWatchdog | None,
    ) -> None:
        """Once per batch: per-endpoint and per-verifier metrics, then the watchdog."""
        masked = [r.status != Status.SCORED for r in results]
        by_verifier: dict[str, list[int]] = {}
        for index, name in enumerate(verifiers):
            by_verifier.setdefault(name, []).append(index)
        if log_metric is not None:
            for endpoint, indices in self.parts(verifiers).items():
                log_metric(f"reward_service/{endpoint}/unscored_frac", sum(masked[i] for i in indices) / len(indices))
                log_metric(f"reward_service/{endpoint}/latency_s", self.batches[endpoint].last_latency_s)
            log_metric("reward_service/masked_frac", sum(masked) / max(len(masked), 1))
            for name, indices in by_verifier.items():
                log_metric(f"reward_service/masked_frac/{name}", sum(masked[i] for i in indices) / len(indices))
        if watchdog is not None:
            failures = [
                Failure(f"{self.routes[v].endpoint.name}/{v}", r) if m else None
                for r, v, m in zip(results, verifiers, masked, strict=True)
            ]
            watchdog.check(failures, references, by_verifier if len(by_verifier) > 1 else None)


def routed_reward_func(
    router: Router, component: str, lead: bool, reference_key: str, watchdog: MaskWatchdog | None
) -> RewardFunc:
    """A TRL reward function for one component name, over items routed by verifier."""

    async def reward(completions: list[Any], log_metric: Any = None, **columns: Any) -> list[float | None]:
        references = column(columns, reference_key, component)
        verifiers = router.verifiers_of(columns, component)
        results = await router.results(completions, references, verifiers)
        if lead:  # one function per batch logs and watches
            router.report(results, verifiers, references, log_metric, watchdog)
        return [router.value(r, v, component) for r, v in zip(results, verifiers, strict=True)]

    reward.__name__ = reward.__qualname__ = component
    return reward
