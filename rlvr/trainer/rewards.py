"""Turns the recipe's reward endpoints into TRL reward functions (one per component) and weights."""

from __future__ import annotations

from collections.abc import Sequence

from rlvr.client import Endpoint
from rlvr.client.watchdog import MAX_MASKED_BATCHES, MAX_MASKED_FRAC
from rlvr.integrations.trl import RewardSetup, reward_functions

__all__ = ["RewardSetup", "build_rewards"]


def build_rewards(
    endpoints: list[Endpoint],
    verifiers: Sequence[str] | None = None,
    max_masked_frac: float = MAX_MASKED_FRAC,
    max_masked_batches: int = MAX_MASKED_BATCHES,
) -> RewardSetup:
    """The recipe's endpoints as `rlvr.integrations.trl` reward functions (the same code users get);
    `verifiers`: a mix's verifiers, its items routed by the dataset's `verifier` column."""
    return reward_functions(
        endpoints, verifiers=verifiers, max_masked_frac=max_masked_frac, max_masked_batches=max_masked_batches
    )
