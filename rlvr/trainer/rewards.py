"""Turns the recipe's reward endpoints into TRL reward functions (one per component) and weights."""

from __future__ import annotations

from rlvr.integrations.trl import Endpoint, RewardSetup, reward_functions
from rlvr.trainer.config import EndpointConfig

__all__ = ["RewardSetup", "build_rewards"]


def build_rewards(endpoints: list[EndpointConfig]) -> RewardSetup:
    """The recipe's endpoints as `rlvr.integrations.trl` reward functions (the same code users get)."""
    return reward_functions(
        [
            Endpoint(
                name=e.name,
                url=e.url,
                verifier=e.verifier,
                token=e.token(),
                weights=e.weights,
                max_batch_items=e.max_batch_items,
                request_timeout_s=e.request_timeout_s,
                deadline_s=e.deadline_s,
                aws_region=e.aws_region,
                aws_endpoint_url=e.aws_endpoint_url,
            )
            for e in endpoints
        ]
    )
