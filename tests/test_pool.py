"""The worker pool: hard per-item deadlines, stuck and crashed workers replaced, the rest scored."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import Any

import httpx

from rlvr.services.runtime import Settings

PLUGIN = "tests.plugins.misbehaving:MisbehavingVerifier"
SLOW_START = "tests.plugins.misbehaving:SlowStartVerifier"


def _score(url: str, completions: list[str]) -> tuple[list[dict], float]:
    started = time.perf_counter()
    reply = httpx.post(
        f"{url}/score",
        json={"verifier": "misbehaving", "items": [{"completion": c, "reference": "1"} for c in completions]},
        timeout=60,
    )
    assert reply.status_code == 200, reply.text
    return reply.json()["results"], time.perf_counter() - started


def test_stuck_item_times_out_and_the_rest_are_scored(serve) -> None:
    url = serve(Settings(verifiers=[PLUGIN, "gsm8k"], workers=2, item_deadline_s=1.0))
    results, elapsed = _score(url, ["a", "hang", "b", "c", "d", "e"])
    statuses = [r["status"] for r in results]
    assert statuses == ["scored", "timeout", "scored", "scored", "scored", "scored"]
    assert results[1]["reward"] is None and "deadline_exceeded" in results[1]["flags"]
    assert [r["answer"] for r in results if r["status"] == "scored"] == ["a", "b", "c", "d", "e"]
    assert elapsed < 1.0 + 10.0  # deadline plus a worker respawn, not an hour


def test_crashed_worker_is_replaced(serve) -> None:
    url = serve(Settings(verifiers=[PLUGIN, "gsm8k"], workers=1, item_deadline_s=5.0))
    results, _ = _score(url, ["crash", "x"])
    assert [r["status"] for r in results] == ["error", "scored"]
    assert "worker_crashed" in results[0]["flags"]
    again, _ = _score(url, ["y"])
    assert again[0]["status"] == "scored"
    metrics = httpx.get(f"{url}/metrics").text
    assert "rlvr_worker_restarts_total 1.0" in metrics


def test_exception_in_verifier_is_an_error_item(serve) -> None:
    url = serve(Settings(verifiers=[PLUGIN, "gsm8k"], workers=1))
    results, _ = _score(url, ["raise", "ok"])
    assert results[0]["status"] == "error" and "RuntimeError" in results[0]["error"]
    assert results[1]["status"] == "scored"


def test_request_must_name_a_verifier_when_several_are_hosted(serve) -> None:
    url = serve(Settings(verifiers=[PLUGIN, "gsm8k"], workers=1))
    reply = httpx.post(f"{url}/score", json={"items": [{"completion": "x", "reference": "1"}]})
    assert reply.status_code == 422
    assert "misbehaving" in reply.json()["error"]


def test_worker_killed_from_outside_mid_batch_is_replaced() -> None:
    import asyncio
    import os
    import signal
    import threading

    from rlvr.services.runtime.pool import WorkerPool

    async def run() -> list:
        pool = WorkerPool({"misbehaving": PLUGIN}, size=1, item_deadline_s=30)
        await pool.start()
        (worker,) = pool._workers
        pid = worker.proc.pid
        threading.Timer(1.0, os.kill, args=(pid, signal.SIGKILL)).start()  # the OOM killer, say
        try:
            outcomes = await pool.score("misbehaving", [("a", "1"), ("hang", "1"), ("b", "1")], deadline_s=120)
            assert worker.proc.pid != pid
            return outcomes
        finally:
            await pool.close()

    outcomes = asyncio.run(run())
    assert [o.status for o in outcomes] == ["scored", "error", "scored"]
    assert "worker_crashed" in outcomes[1].flags


async def _break_replacements(pool: Any) -> None:
    """From now on every replacement of this started pool fails to start (its verifier no longer loads)."""
    from rlvr.services.runtime.pool import Loadout, _Spares

    await asyncio.to_thread(pool._spares.close)
    pool._spares = _Spares(Loadout({"misbehaving": "tests.plugins.no_such_module:Verifier"}), count=1)
    for worker in pool._workers:
        worker._spares = pool._spares


def test_a_failed_replacement_keeps_what_was_already_judged() -> None:
    from rlvr.services.runtime.pool import WorkerPool

    async def run() -> list:
        pool = WorkerPool({"misbehaving": PLUGIN}, size=1, item_deadline_s=30)
        await pool.start()
        await _break_replacements(pool)
        try:
            return await pool.score("misbehaving", [("a", "1"), ("crash", "1"), ("b", "1")], deadline_s=120)
        finally:
            await pool.close()

    out = asyncio.run(run())
    assert [o.status for o in out] == ["scored", "error", "error"]
    assert out[1].flags == ("worker_crashed",)
    assert out[2].flags == ("worker_unavailable",) and "failed to start" in out[2].error


def test_items_of_a_worker_that_cannot_be_replaced_go_to_the_live_ones() -> None:
    """Only the item on the dead worker fails; the rest of the batch is judged by the worker still alive."""
    from rlvr.services.runtime.pool import WorkerPool

    async def run() -> list:
        pool = WorkerPool({"misbehaving": PLUGIN}, size=2, item_deadline_s=30)
        await pool.start()
        await _break_replacements(pool)
        try:
            items = [("crash", "1")] + [(f"x{i}", "1") for i in range(40)]
            return await pool.score("misbehaving", items, deadline_s=120)
        finally:
            await pool.close()

    out = asyncio.run(run())
    assert [o.status for o in out] == ["error"] + ["scored"] * 40
    assert out[0].flags == ("worker_crashed",)
    assert [o.answer for o in out[1:]] == [f"x{i}" for i in range(40)]


def test_a_spare_killed_while_loading_costs_no_items() -> None:
    """Issue 20, item 3: a `kill -9` hits a spare still loading; the next worker it was due to replace dies.
    Before, every item after that death came back `worker unavailable: spare worker failed to start`."""
    from rlvr.services.runtime.pool import WorkerPool
    from rlvr.testing.processes import child_pids

    others = set(child_pids(os.getpid()))  # other tests' servers run in this process

    async def loading_spare(worker_pid: int) -> int:
        deadline = time.monotonic() + 30
        while not (new := set(child_pids(os.getpid())) - others - {worker_pid}):
            assert time.monotonic() < deadline, "no spare was started"
            await asyncio.sleep(0.01)
        (pid,) = new
        return pid

    async def run() -> tuple[list, list]:
        pool = WorkerPool({"slow-start": SLOW_START}, size=1, item_deadline_s=30, spares=1)
        await pool.start()
        try:
            first = await pool.score("slow-start", [("crash", "1"), ("a", "1")], deadline_s=120)
            (worker,) = pool._workers  # the spare now, while a new spare loads (2 s) in its place
            os.kill(await loading_spare(worker.proc.pid), signal.SIGKILL)
            second = await pool.score("slow-start", [("crash", "1"), ("b", "1"), ("c", "1")], deadline_s=120)
            return first, second
        finally:
            await pool.close()

    first, second = asyncio.run(run())
    assert [o.status for o in first] == ["error", "scored"]
    assert [o.status for o in second] == ["error", "scored", "scored"], [o.error for o in second]
    assert second[0].flags == ("worker_crashed",)


def test_no_spare_in_time_is_a_labelled_start_error() -> None:
    import pytest

    from rlvr.services.runtime.pool import Loadout, WorkerStartError, _Spares

    spares = _Spares(Loadout({"misbehaving": PLUGIN}), count=0)
    with pytest.raises(WorkerStartError, match="no spare worker"):
        spares.take(timeout_s=0.1)


def test_an_empty_batch_is_an_empty_answer() -> None:
    import asyncio

    from rlvr.services.runtime.pool import WorkerPool

    assert asyncio.run(WorkerPool({"misbehaving": PLUGIN}, size=1, item_deadline_s=1).score("misbehaving", [], 1)) == []


def test_a_pool_that_cannot_start_leaves_no_process_behind() -> None:
    import asyncio
    import multiprocessing

    import pytest

    from rlvr.services.runtime.pool import WorkerPool, WorkerStartError

    before = {p.pid for p in multiprocessing.active_children()}  # other tests' servers run in this process
    pool = WorkerPool({"broken": "tests.plugins.no_such_module:Verifier"}, size=2, item_deadline_s=1)
    with pytest.raises(WorkerStartError):
        asyncio.run(pool.start())
    assert {p.pid for p in multiprocessing.active_children()} - before == set()


def test_a_replacement_worker_knows_the_recent_references(serve) -> None:
    """Spares parse the references already seen, so replacing a killed worker costs no re-parsing:
    four references at 0.3 s each would otherwise add 1.2 s to a batch already held a whole deadline."""
    url = serve(Settings(verifiers=["tests.plugins.misbehaving:SlowReferenceVerifier"], workers=1, item_deadline_s=1.0))
    refs = ["r1", "r2", "r3", "r4"]
    body = {"items": [{"completion": "ok", "reference": r} for r in refs]}
    assert httpx.post(f"{url}/score", json=body, timeout=60).status_code == 200  # the worker (and spare) learn them
    time.sleep(2.0)  # the spare parses them in the background
    items = [{"completion": "hang", "reference": "r1"}] + [{"completion": "ok", "reference": r} for r in refs]
    started = time.perf_counter()
    results = httpx.post(f"{url}/score", json={"items": items}, timeout=60).json()["results"]
    elapsed = time.perf_counter() - started
    assert [r["status"] for r in results] == ["timeout"] + ["scored"] * 4
    assert elapsed < 1.0 + 0.8, elapsed  # deadline + a little; cold, it is deadline + 1.2 s at least
