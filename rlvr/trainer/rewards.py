"""Turns the recipe's reward endpoints into TRL reward functions (one per component) and weights."""

from __future__ import annotations

from rlvr.client import Endpoint
from rlvr.integrations.trl import RewardSetup, reward_functions

__all__ = ["RewardSetup", "build_rewards"]


def build_rewards(endpoints: list[Endpoint]) -> RewardSetup:
    """The recipe's endpoints as `rlvr.integrations.trl` reward functions (the same code users get)."""
    return reward_functions(endpoints)
