"""Turns the config's reward endpoints into TRL reward functions (one per component) and weights."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from rlvr.trainer.config import EndpointConfig
from rlvr.trainer.reward_client import RewardClient, RewardFunc, SharedBatch, component_reward_func

log = logging.getLogger(__name__)


@dataclass
class RewardSetup:
    funcs: list[RewardFunc]
    weights: list[float]
    clients: list[RewardClient]
    verifiers: dict[str, dict[str, str]]  # endpoint -> {name, version} as the service reported it


def build_rewards(endpoints: list[EndpointConfig]) -> RewardSetup:
    """Ask each endpoint which components its verifier has, then make one function per weighted component.

    Names are the component (`format`, `correctness`) with a single endpoint, `<endpoint>_<component>`
    with several, so TRL logs `rewards/<name>/mean` for each.
    """
    setup = RewardSetup(funcs=[], weights=[], clients=[], verifiers={})
    chosen: list[tuple[EndpointConfig, RewardClient, dict[str, float]]] = []
    for endpoint in endpoints:
        client = RewardClient(
            endpoint.url,
            verifier=endpoint.verifier,
            token=endpoint.token(),
            max_batch_items=endpoint.max_batch_items,
            request_timeout_s=endpoint.request_timeout_s,
            deadline_s=endpoint.deadline_s,
        )
        hosted = {v.name: v for v in client.describe().verifiers}
        if endpoint.verifier is None and len(hosted) != 1:
            raise ValueError(f"endpoint {endpoint.name!r} hosts {sorted(hosted)}: set its `verifier`")
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
            setup.funcs.append(component_reward_func(batches, endpoint.name, component, name, log_status=position == 0))
            setup.weights.append(float(weight))
    return setup
