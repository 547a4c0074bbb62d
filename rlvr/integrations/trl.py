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

import logging
from dataclasses import dataclass, field

from rlvr.trainer.reward_client import RewardClient, RewardFunc, SharedBatch, component_reward_func

log = logging.getLogger(__name__)

__all__ = ["Endpoint", "RewardSetup", "reward_functions"]


@dataclass
class Endpoint:
    """One reward service: where it is, which verifier, and the weight of each component."""

    name: str
    url: str
    verifier: str | None = None  # needed when the service hosts several
    token: str | None = None
    weights: dict[str, float] | None = None  # default: every component of the verifier at 1.0
    max_batch_items: int = 1024
    request_timeout_s: float = 60.0
    deadline_s: float = 120.0
    aws_region: str | None = None  # sagemaker:// only (InvokeEndpoint through boto3: `pip install 'rlvr[aws]'`)
    aws_endpoint_url: str | None = None


@dataclass
class RewardSetup:
    """What GRPOTrainer needs (`funcs`, `weights`) and what the run should record (`verifiers`)."""

    funcs: list[RewardFunc] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    clients: list[RewardClient] = field(default_factory=list)
    verifiers: dict[str, dict[str, str]] = field(default_factory=dict)  # endpoint -> {name, version, url}


def make_client(endpoint: Endpoint) -> RewardClient:
    """An HTTP client, or for `sagemaker://<endpoint-name>` one over InvokeEndpoint (boto3)."""
    cls: type[RewardClient] = RewardClient
    extra: dict[str, str | None] = {}
    if endpoint.url.startswith("sagemaker://"):
        from rlvr.sagemaker.invoke import SageMakerRewardClient

        cls, extra = (
            SageMakerRewardClient,
            {"region": endpoint.aws_region, "aws_endpoint_url": endpoint.aws_endpoint_url},
        )
    return cls(
        endpoint.url,
        verifier=endpoint.verifier,
        token=endpoint.token,
        max_batch_items=endpoint.max_batch_items,
        request_timeout_s=endpoint.request_timeout_s,
        deadline_s=endpoint.deadline_s,
        **extra,  # type: ignore[arg-type]
    )


def reward_functions(endpoints: list[Endpoint], reference_column: str = "reference") -> RewardSetup:
    """Ask each endpoint which components its verifier has, then make one function per weighted component.

    Functions are named after the component (`format`, `correctness`) with one endpoint and
    `<endpoint>_<component>` with several, so TRL logs `rewards/<name>/mean` for each. The dataset
    column `reference_column` holds the references.
    """
    setup = RewardSetup()
    chosen: list[tuple[Endpoint, RewardClient, dict[str, float]]] = []
    for endpoint in endpoints:
        client = make_client(endpoint)
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
