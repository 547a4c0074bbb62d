"""Reward functions for your own TRL `GRPOTrainer`, backed by reward services over HTTP.

The same code the rlvr trainer uses: one `/score` request per endpoint per generation batch,
shared by the component functions; an item that could not be judged is None for every function
(TRL leaves the row out); retries with backoff; nothing invented when a service is down; training
stops when the service stops judging (rlvr.client.watchdog).

    from rlvr.integrations.trl import Endpoint, reward_functions
    rewards = reward_functions([Endpoint("gsm8k", "http://127.0.0.1:8000")], reference_column="answer")
    trainer = GRPOTrainer(model, reward_funcs=rewards.funcs, train_dataset=dataset,
                          args=GRPOConfig(reward_weights=rewards.weights, ...))

Mixed tasks: a dataset column (`verifier`) names each item's verifier; pass the names it holds as
`verifiers=` and each item goes to the endpoint serving its verifier (rlvr.integrations.routed).
Needs only pydantic and httpx (`pip install rlvr`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from rlvr.client import Endpoint, RewardClient, RewardServiceError
from rlvr.client.masking import masked_rows
from rlvr.client.routing import Hosted, function_weights, plan_routes, served
from rlvr.client.watchdog import MAX_MASKED_BATCHES, MAX_MASKED_FRAC, Failure, MaskWatchdog
from rlvr.errors import ConfigError
from rlvr.integrations.routed import Router, routed_reward_func
from rlvr.integrations.shared import RewardFunc, RewardSetup, SharedBatch, column
from rlvr.services.protocol import ItemResult, Status

log = logging.getLogger(__name__)

__all__ = ["Endpoint", "RewardSetup", "SharedBatch", "component_reward_func", "reward_functions"]


def component_reward_func(
    batches: dict[str, SharedBatch],
    endpoint: str,
    component: str,
    name: str,
    log_status: bool,
    reference_key: str = "reference",
    verifier_key: str | None = None,
    watchdog: MaskWatchdog | None = None,
) -> RewardFunc:
    """A TRL reward function returning one component of `endpoint`'s results (every endpoint scores every item).

    An item is None for *every* function when *any* endpoint could not score it: TRL then leaves
    the whole row out (NaN-aware means, zero advantage) instead of summing the other endpoints'
    components as if the failed one had given 0. A scored result without the component is a
    protocol error, never a zero. A `verifier_key` column in the batch is an error: its items
    would all be judged by these endpoints' verifiers, not their own.
    """

    async def reward(completions: list[Any], log_metric: Any = None, **columns: Any) -> list[float | None]:
        if verifier_key is not None and verifier_key in columns:
            raise RewardServiceError(
                f"reward function {name}: the dataset has a {verifier_key!r} column naming each item's verifier; "
                "pass the names it holds as reward_functions(..., verifiers=[...]) to route items by it "
                "(or verifier_column=None to ignore it)"
            )
        reference = column(columns, reference_key, name)
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
        if watchdog is not None and log_status and endpoint == names[0]:  # once per batch
            watchdog.check(_failures(per_endpoint), reference)
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


def _failures(per_endpoint: dict[str, list[ItemResult]]) -> list[Failure | None]:
    """Per item, the first endpoint's result that masks it (None: every endpoint judged it)."""
    rows = zip(*per_endpoint.values(), strict=True)
    return [
        next((Failure(n, r) for n, r in zip(per_endpoint, row, strict=True) if r.status != Status.SCORED), None)
        for row in rows
    ]


def reward_functions(
    endpoints: list[Endpoint],
    reference_column: str = "reference",
    *,
    verifiers: Sequence[str] | None = None,
    verifier_column: str | None = "verifier",
    max_masked_frac: float = MAX_MASKED_FRAC,
    max_masked_batches: int = MAX_MASKED_BATCHES,
) -> RewardSetup:
    """Ask each endpoint what it hosts, then make one function per weighted component.

    Without `verifiers`, every endpoint scores every item: functions are named after the component
    (`format`, `correctness`) with one endpoint and `<endpoint>_<component>` with several. With
    `verifiers` (the names the dataset's `verifier_column` holds), each item goes to the endpoint
    serving its verifier and functions are named after the components of those verifiers. Either
    way TRL logs `rewards/<name>/mean`; the dataset column `reference_column` holds the references.
    Training stops when more than `max_masked_frac` of the items are masked for `max_masked_batches`
    generation batches in a row, or a batch's items could all not be judged (0 turns this off).
    """
    described: list[tuple[Endpoint, RewardClient, Hosted]] = []
    for endpoint in endpoints:
        client = RewardClient(endpoint)
        described.append((endpoint, client, {v.name: v for v in client.describe().verifiers}))
    where = ", ".join(f"{e.name} at {e.url}" for e in endpoints)
    watchdog = MaskWatchdog(max_masked_frac, max_masked_batches, endpoints=where)
    if verifiers is not None:
        if verifier_column is None:
            raise ConfigError("verifiers= routes items by the dataset's verifier_column: name that column")
        return _routed(described, list(verifiers), reference_column, verifier_column, watchdog)
    return _composed(described, reference_column, verifier_column, watchdog)


def _composed(
    described: list[tuple[Endpoint, RewardClient, Hosted]],
    reference_column: str,
    verifier_column: str | None,
    watchdog: MaskWatchdog,
) -> RewardSetup:
    setup = RewardSetup()
    chosen: list[tuple[Endpoint, RewardClient, dict[str, float]]] = []
    for endpoint, client, hosted in described:
        if endpoint.verifier is None and len(hosted) != 1:
            raise ConfigError(f"endpoint {endpoint.name!r} hosts {sorted(hosted)}: set its `verifier`")
        info = hosted[served(endpoint, hosted)[0]]
        weights = endpoint.weights if endpoint.weights is not None else dict.fromkeys(info.components, 1.0)
        unknown = sorted(set(weights) - set(info.components))
        if unknown:
            raise ConfigError(
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
            name = component if len(chosen) == 1 else f"{endpoint.name}_{component}"
            setup.funcs.append(
                component_reward_func(
                    batches, endpoint.name, component, name, position == 0, reference_column, verifier_column, watchdog
                )
            )
            setup.weights.append(float(weight))
    return setup


def _routed(
    described: list[tuple[Endpoint, RewardClient, Hosted]],
    verifiers: list[str],
    reference_column: str,
    verifier_column: str,
    watchdog: MaskWatchdog,
) -> RewardSetup:
    if not verifiers:
        raise ConfigError("verifiers=[] routes nothing: name the verifiers the dataset's verifier column holds")
    routes = plan_routes([(e, h) for e, _, h in described], verifiers)
    weights = function_weights(routes)
    used = {route.endpoint.name for route in routes.values()}
    clients = {e.name: c for e, c, _ in described if e.name in used}
    for endpoint, _, _ in described:
        if endpoint.name not in used:
            log.warning("endpoint %s serves none of the verifiers in use %s", endpoint.name, verifiers)
    setup = RewardSetup(clients=list(clients.values()), weights=list(weights.values()))
    router = Router(routes, clients, consumers=len(weights), verifier_key=verifier_column)
    for position, component in enumerate(weights):
        setup.funcs.append(routed_reward_func(router, component, position == 0, reference_column, watchdog))
    for name, route in routes.items():
        info, endpoint = route.verifier, route.endpoint
        setup.verifiers[name] = {"name": info.name, "version": info.version, "url": endpoint.url}
        setup.verifiers[name]["endpoint"] = endpoint.name
        log.info("verifier %s %s: endpoint %s, components %s", name, info.version, endpoint.name, route.components)
    return setup
