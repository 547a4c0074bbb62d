"""TRL's own GRPOTrainer on a tiny random model, for tests that read what it logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def tiny_grpo(model_dir: Path, rewards: Any, rows: list[dict], output_dir: Path, max_steps: int) -> Any:
    """A GRPOTrainer on the CPU: 2 generations of 4 tokens, every batch holding each row twice (6 rows)."""
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    return GRPOTrainer(
        model=str(model_dir),
        reward_funcs=rewards.funcs,
        train_dataset=Dataset.from_list(rows),
        args=GRPOConfig(
            output_dir=str(output_dir), reward_weights=rewards.weights, num_generations=2,
            per_device_train_batch_size=2 * len(rows), max_completion_length=4, max_steps=max_steps,
            logging_steps=1, report_to=[], use_cpu=True, save_strategy="no",
        ),
    )  # fmt: skip
