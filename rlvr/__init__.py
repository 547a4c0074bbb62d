"""rlvr: reinforcement learning with verifiable rewards, as a reward service and a GRPO trainer."""

__version__ = "0.1.0"
