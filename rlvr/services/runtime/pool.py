"""Worker pool for `process`-isolated verifiers: hard per-item deadlines enforced from outside.

Each worker is a spawned process that scores the items it is sent, one at a time, and answers
with one outcome per item. A request's items are shared out (`batch.py`): each worker keeps a few
in flight and takes the next as it answers, and the parent waits at most `item_deadline_s` for each
verdict; past it, the worker is killed and a warm spare takes its place, that item is `timeout`, and
the items the killed worker held go back for any worker to take. A replacement that cannot start
makes its worker give up (what it held goes to the live workers) until its next use. This works
whatever the verifier does (SymPy in a C loop, a regex gone exponential), unlike SIGALRM.

A request's own deadline, the shutdown cut (`drain.py`) and its client's disconnect stop the parent
from sending more items; the items already sent are drained (or their worker killed at the item
deadline) before the worker goes back to the idle queue, so a worker is never handed out while a
thread drives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from rlvr.services.protocol import Status
from rlvr.services.runtime.batch import Batch
from rlvr.services.runtime.drain import Drain
from rlvr.services.runtime.workers import STARTUP_TIMEOUT_S, Loadout, WorkerStartError, _kill, _Spares, _start_process
from rlvr.services.sandbox.settings import SandboxSettings
from rlvr.services.verifiers.outcome import Outcome

__all__ = ["STARTUP_TIMEOUT_S", "Loadout", "WorkerPool", "WorkerStartError", "_Spares", "_Worker"]

log = logging.getLogger(__name__)

WINDOW = 4  # items in flight per worker: hides the pipe's round trip, bounds what a kill re-sends


class _Worker:
    """One child process and the pipe to it; driven by one thread at a time."""

    def __init__(self, loadout: Loadout, spares: _Spares) -> None:
        self._spares = spares
        self._lock = threading.Lock()  # `stop` (the event loop) against `_replace` (a pool thread)
        self._stopped = False
        self._head_started = 0.0  # when the item at the head of the pipe became due (monotonic)
        self.proc, self.conn = _start_process(loadout)

    def _replace(self) -> None:
        with self._lock:
            _kill(self.proc, self.conn)
            if self._stopped:  # shutting down: nothing to replace, and no spare left to take
                raise WorkerStartError("the pool is closing")
            self.proc, self.conn = self._spares.take()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.proc.join(timeout=2)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join(timeout=5)
            self.conn.close()

    def run(self, batch: Batch, on_restart: Callable[[], None], closing: threading.Event) -> None:
        """Judge the batch's items until none is left to take or it is stopped. Blocking."""
        inflight: deque[int] = deque()  # taken from the batch: each is done or given back, once
        try:
            while True:
                self._fill(batch, inflight)
                if not inflight:
                    if batch.more_may_come():
                        continue
                    return
                head = inflight[0]
                failure = self._verdict(batch, head)
                inflight.popleft()
                if failure is None:
                    continue
                batch.done(head, failure)
                batch.give_back(list(inflight))  # what the killed worker held goes to whichever worker is free
                inflight.clear()
                if closing.is_set():  # the pool killed this worker on shutdown: nothing to replace
                    return
                log.warning("worker %s on item %d: %s; replacing it", self.proc.pid, head, failure.error)
                on_restart()
                self._replace()
        except Exception as exc:  # WorkerStartError, a broken pipe: this worker gives up, never the request
            log.error("worker pool failed: %s", exc)
            self.proc.kill()  # whatever state it is in, its next use starts from a fresh process
            batch.give_back(list(inflight), why=str(exc))

    def _fill(self, batch: Batch, inflight: deque[int]) -> None:
        """Send items until WINDOW are in flight or the batch has none to give right now."""
        while len(inflight) < WINDOW and (index := batch.take()) is not None:
            inflight.append(index)
            if len(inflight) == 1:
                if not self.proc.is_alive():  # died while idle (OOM killer, say)
                    self._replace()
                self._head_started = time.monotonic()
            while True:
                try:
                    self.conn.send((batch.name, index, *batch.items[index]))
                    break
                except OSError:  # it died on an item in flight: reading that item's EOF says so
                    if len(inflight) > 1:
                        inflight.pop()
                        batch.give_back([index])
                        return
                    self._replace()

    def _verdict(self, batch: Batch, head: int) -> Outcome | None:
        """Read the head item's verdict into the batch (None), or the failure that ended the worker on it."""
        if not self._ready(self._head_started + batch.limits[head]):
            return Outcome.failed(Status.TIMEOUT, "no verdict within the item deadline", "deadline_exceeded")
        try:
            index, outcome = self.conn.recv()
        except (EOFError, OSError):  # the pipe closed: the process died on this item
            return Outcome.failed(Status.ERROR, "the worker process died on this item", "worker_crashed")
        if index != head:  # verdicts come back in the order sent, or the pipe is broken
            raise RuntimeError(f"worker answered item {index} while item {head} was due")
        batch.done(head, outcome)
        self._head_started = time.monotonic()
        return None

    def _ready(self, until: float) -> bool:
        """Whether the pipe has something to read (a verdict, or EOF from a dead worker) by `until`."""
        remaining = until - time.monotonic()
        try:
            return remaining > 0 and self.conn.poll(remaining)
        except (EOFError, OSError):
            return True  # recv will say what happened


class WorkerPool:
    """A fixed number of workers shared by all requests; a batch's items are shared out among them."""

    def __init__(
        self,
        specs: dict[str, str],
        size: int,
        item_deadline_s: float,
        on_restart: Callable[[], None] = lambda: None,
        spares: int | None = None,
        drain: Drain | None = None,
        sandbox: SandboxSettings | None = None,
    ) -> None:
        self._loadout = Loadout(specs, sandbox)  # the sandbox's settings, handed down to every worker
        self._drain = drain or Drain(0.0)  # the service's shutdown cut; never begun without one
        self._size = size
        self._spare_count = size if spares is None else spares
        self._deadline = item_deadline_s
        self._on_restart = on_restart
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._workers: list[_Worker] = []
        self._spares: _Spares | None = None
        # One thread per worker at most: a thread holds its worker until the items sent are drained.
        self._threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="rlvr-pool")
        self._busy: set[asyncio.Future[None]] = set()
        self._closing = threading.Event()

    async def start(self) -> None:
        # At least one spare even when none is asked for: replacing a killed worker must not block.
        self._spares = spares = _Spares(self._loadout, max(1, self._spare_count))
        started = await asyncio.gather(
            *(asyncio.to_thread(_Worker, self._loadout, spares) for _ in range(self._size)), return_exceptions=True
        )
        self._workers = [w for w in started if isinstance(w, _Worker)]
        failed = [e for e in started if not isinstance(e, _Worker)]
        if failed:  # leave nothing running behind a pool that did not start
            await self.close()
            raise failed[0]
        for worker in self._workers:
            self._idle.put_nowait(worker)

    async def _drive(self, batch: Batch) -> None:
        """One idle worker judges the batch's items alongside the others (in a pool thread)."""
        worker = await self._idle.get()
        loop = asyncio.get_running_loop()

        def job() -> None:
            try:
                worker.run(batch, self._on_restart, self._closing)
            finally:
                with contextlib.suppress(RuntimeError):  # the loop is gone: the service is stopping
                    loop.call_soon_threadsafe(self._idle.put_nowait, worker)

        future = loop.run_in_executor(self._threads, job)
        self._busy.add(future)
        future.add_done_callback(self._busy.discard)
        await asyncio.shield(future)  # cancelling the request must not cancel the thread's bookkeeping

    async def score(
        self,
        name: str,
        items: list[tuple[str, str]],
        deadline_s: float,
        budgets: list[float | None] | None = None,
    ) -> list[Outcome]:
        """Score items across the pool; one outcome per item, in order, by `deadline_s` (or the shutdown
        cut) at the latest.

        An item's deadline is the pool's item deadline, or its budget (the reference's own limits,
        `Verifier.item_budget_s`) when that is longer."""
        if not items:
            return []
        limits = [max(self._deadline, b or 0.0) for b in budgets or [None] * len(items)]
        batch = Batch(name, items, limits)
        in_time = False
        try:
            async with self._drain.deadline(deadline_s):
                await asyncio.gather(*(self._drive(batch) for _ in range(min(self._size, len(items)))))
            in_time = True
        except TimeoutError:
            pass
        finally:
            batch.stop()  # deadline, cut, disconnect or done: nothing more is sent for this request
        outcomes = batch.outcomes(self._drain.late_outcome(deadline_s), in_time)
        if self._spares is not None:
            scored = [ref for (_, ref), o in zip(items, outcomes, strict=True) if o.status == Status.SCORED]
            self._spares.remember(name, scored)
        return outcomes

    async def close(self) -> None:
        """Stop every worker. Requests were answered before this (uvicorn's graceful shutdown); a
        thread still draining an abandoned request gets a second, then its worker is killed."""
        if self._busy:
            await asyncio.wait(set(self._busy), timeout=1.0)
        self._closing.set()
        await asyncio.gather(*(asyncio.to_thread(w.stop) for w in self._workers))
        self._workers = []
        self._threads.shutdown(wait=False)
        if self._spares is not None:
            await asyncio.to_thread(self._spares.close)
