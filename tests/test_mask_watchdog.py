"""No silent runs without signal: training stops, naming the endpoints and the items' errors, when the
reward service cannot judge a batch, or masks most of every batch for several batches in a row."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rlvr.client import RewardServiceError
from rlvr.client.watchdog import Failure, MaskWatchdog
from rlvr.integrations.trl import Endpoint, reward_functions
from rlvr.services.protocol import ItemResult, Status
from rlvr.services.runtime import Settings
from rlvr.trainer.config import TrainConfig

HANG = "tests.plugins.misbehaving:MisbehavingVerifier"


def _batch(pattern: str, same_reference: bool = False) -> tuple[list[Failure | None], list[str]]:
    """One batch from a pattern: `.` judged, `e` error, `t` timeout; each item its own problem unless told."""
    status = {"e": Status.ERROR, "t": Status.TIMEOUT}
    failures = [
        Failure("gsm8k", ItemResult(id=str(i), status=status[c], reward=None, error=f"{status[c].value} reason"))
        if c in status
        else None
        for i, c in enumerate(pattern)
    ]
    return failures, ["18" if same_reference else str(i) for i in range(len(pattern))]


WATCH = [
    # (rule, batches, watchdog fields, batch that stops training (1-based) or None, what the message says)
    ("judged nothing: at once", ["ee"], {}, 1, "could judge none of the 2 items of this batch"),
    ("one problem judged nothing: counted, not at once", ["ee"] * 3, {"same": True}, 3, "3 batches in a row"),
    ("timeouts are counted, not at once", ["tt", "tt", "tt"], {}, 3, "in 3 batches in a row"),
    ("a good batch resets the count", ["tt", "..", "tt", "tt"], {}, None, ""),
    ("half masked is not more than half", ["e."] * 5, {}, None, ""),
    ("error and timeout: counted", ["et"] * 2, {"max_masked_batches": 2}, 2, "2 batches in a row"),
    ("the threshold is a field", ["t.."] * 2, {"max_masked_frac": 0.25, "max_masked_batches": 2}, 2, "25%"),
    ("1.0: only batches judging nothing", ["tt"] * 4 + ["ee"], {"max_masked_frac": 1.0}, 5, "could judge none"),
    ("0 batches: never", ["ee"] * 4, {"max_masked_batches": 0}, None, ""),
]


@pytest.mark.parametrize(("rule", "batches", "fields", "stops_at", "message"), WATCH, ids=[w[0] for w in WATCH])
def test_the_watchdog_rules(rule: str, batches: list[str], fields: dict, stops_at: int | None, message: str) -> None:
    same = fields.pop("same", False)
    watchdog = MaskWatchdog(**fields, endpoints="gsm8k at http://127.0.0.1:1")
    for number, pattern in enumerate(batches, start=1):
        if number == stops_at:
            with pytest.raises(RewardServiceError, match="no training signal") as stopped:
                watchdog.check(*_batch(pattern, same))
            assert message in str(stopped.value) and "gsm8k at http://127.0.0.1:1" in str(stopped.value)
            return
        watchdog.check(*_batch(pattern, same))
    assert stops_at is None


def test_the_message_counts_the_most_common_item_errors() -> None:
    watchdog = MaskWatchdog(max_masked_batches=2, endpoints="e at http://x")
    watchdog.check(*_batch("tte"))
    with pytest.raises(RewardServiceError) as stopped:
        watchdog.check(*_batch("tt."))
    assert "4x gsm8k: timeout: timeout reason; 1x gsm8k: error: error reason" in str(stopped.value)


def test_a_verifier_whose_items_are_all_unjudged_stops_training_though_the_batch_is_mostly_judged() -> None:
    failures, references = _batch("ee....")
    with pytest.raises(RewardServiceError, match="could judge none of the 2 items of this batch for the 'code' items"):
        MaskWatchdog().check(failures, references, {"code": [0, 1], "gsm8k": [2, 3, 4, 5]})


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"max_masked_frac": 1.5}, "between 0 and 1"), ({"max_masked_batches": -1}, "0 turns the watchdog off")],
)
def test_bad_settings_say_what_is_wrong(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MaskWatchdog(**fields)
    with pytest.raises(ValueError, match=message):
        TrainConfig(**fields)


def test_a_service_that_keeps_timing_out_stops_the_reward_functions(serve) -> None:
    url = serve(Settings(verifiers=[HANG], workers=1, item_deadline_s=0.3))
    rewards = reward_functions([Endpoint("slow", url, token_env=None)], max_masked_batches=2)
    batch = {"completions": ["hang", "hang", "ok"], "reference": ["1", "2", "3"]}
    assert asyncio.run(rewards.funcs[0](**batch)) == [None, None, 1.0]
    with pytest.raises(RewardServiceError) as stopped:
        asyncio.run(rewards.funcs[0](**batch))
    message = str(stopped.value)
    assert "in 2 batches in a row" in message and f"slow at {url}" in message
    assert "4x slow: timeout:" in message


@pytest.mark.slow
def test_a_grpo_step_against_a_service_that_cannot_judge_stops_with_the_reasons(
    tmp_path: Path, tiny_model_dir: Path, serve
) -> None:
    """Code problems sent to a gsm8k service: every reference is of the wrong kind."""
    from rlvr.trainer.train import train

    url = serve(Settings())
    cfg = TrainConfig(
        model=str(tiny_model_dir), data="code-stdio", shots=0,
        rewards=[{"name": "gsm8k", "url": url, "token_env": None}],
        num_generations=2, per_device_train_batch_size=4, max_completion_length=4, max_steps=2, save_steps=10,
        output_dir=str(tmp_path / "run"), report_to=[],
    )  # fmt: skip
    with pytest.raises(RewardServiceError) as stopped:
        train(cfg)
    message = str(stopped.value)
    assert "no training signal: the reward service could judge none of the 4 items of this batch" in message
    assert f"gsm8k at {url}" in message
    assert '2x gsm8k: error: bad reference: reference \'{"tests"' in message
    assert "does not hold exactly one number" in message
    assert not (tmp_path / "run" / "final").exists()  # it stopped: no model claims to be trained
