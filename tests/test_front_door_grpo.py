"""A verifier service killed mid-run: TRL's GRPOTrainer, scoring a mixed batch through the front door,
still takes its step; the dead verifier's items are masked (None), the others keep their rewards.

Real services on 127.0.0.1: the math service in its own process (so that it can be killed), the front
door hosting gsm8k itself and math by URL.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import pytest

from rlvr.integrations.trl import Endpoint, reward_functions
from rlvr.services.runtime import Settings
from rlvr.testing.processes import serve_process
from tests.grpo_cases import tiny_grpo

# Two gsm8k problems and one math problem: every generation batch holds all three. One math problem,
# so the watchdog's "nothing of this verifier could be judged" rule (two problems or more) stays quiet
# for a single step; the test is about the step completing, the watchdog has tests of its own.
ROWS = [("gsm8k", "18"), ("math", "\\frac{1}{2}"), ("gsm8k", "7")]


@pytest.mark.slow
def test_a_grpo_step_completes_with_a_dead_verifiers_items_masked(serve, tmp_path: Path, tiny_model_dir: Path) -> None:
    with serve_process({"RLVR_VERIFIERS": "math", "RLVR_WORKERS": "1"}) as (proc, math_url):
        front = serve(Settings(verifiers=["gsm8k", f"math={math_url}"], request_deadline_s=30))
        os.killpg(proc.pid, signal.SIGKILL)  # the verifier dies before the step's first batch
        proc.wait()
        rewards = reward_functions([Endpoint("door", front, token_env=None)], verifiers=["gsm8k", "math"])
        rows = [{"prompt": f"Problem {i}:", "reference": r, "verifier": v} for i, (v, r) in enumerate(ROWS)]
        trainer = tiny_grpo(tiny_model_dir, rewards, rows, tmp_path, max_steps=1)
        trainer.train()
    (step,) = [r for r in trainer.state.log_history if "reward" in r]
    assert step["reward_service/masked_frac"] == pytest.approx(1 / 3)  # the math items, and only they
    assert step["reward_service/masked_frac/math"] == pytest.approx(1.0)
    assert step["reward_service/masked_frac/gsm8k"] == pytest.approx(0.0)
    assert httpx.get(f"{front}/readyz").status_code == 200
