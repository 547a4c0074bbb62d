"""Worker pool for `process`-isolated verifiers: hard per-item deadlines enforced from outside.

Each worker is a spawned process that scores the items it is sent, one at a time, and answers
with one outcome per item. The parent keeps a few items in flight per worker and waits at most
`item_deadline_s` for each verdict; past it, the worker is killed and a warm spare takes its
place, that item is `timeout`, and the rest go to the new worker. This works whatever the
verifier does (SymPy in a C loop, a regex gone exponential), unlike SIGALRM.

A request's own deadline and its client's disconnect stop the parent from sending more items;
the items already sent are drained (or their worker killed at the item deadline) before the
worker goes back to the idle queue, so a worker is never handed out while a thread drives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from rlvr.services.protocol import Status
from rlvr.services.runtime.scoring import deadline_outcome
from rlvr.services.runtime.workers import STARTUP_TIMEOUT_S, WorkerStartError, _kill, _Spares, _start_process
from rlvr.services.verifiers.outcome import Outcome

__all__ = ["STARTUP_TIMEOUT_S", "WorkerPool", "WorkerStartError", "_Spares", "_Worker"]

log = logging.getLogger(__name__)

WINDOW = 4  # items in flight per worker: hides the pipe's round trip, bounds what a kill re-sends


class _Worker:
    """One child process and the pipe to it; driven by one thread at a time."""

    def __init__(self, specs: dict[str, str], spares: _Spares) -> None:
        self._spares = spares
        self._lock = threading.Lock()  # `stop` (the event loop) against `_replace` (a pool thread)
        self._stopped = False
        self.proc, self.conn = _start_process(specs)

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

    def run(
        self,
        name: str,
        items: list[tuple[str, str]],
        out: list[Outcome | None],
        offset: int,
        item_deadlines: list[float],
        abort: threading.Event,
        on_restart: Callable[[], None],
        closing: threading.Event,
    ) -> None:
        """Fill out[offset + i] for each item, in order, until done or `abort` is set. Blocking.

        `item_deadlines[i]` is how long item i may take once it is at the head of the pipe."""
        inflight: deque[int] = deque()
        next_send = 0
        head_started = time.monotonic()
        try:
            while True:
                while not abort.is_set() and next_send < len(items) and len(inflight) < WINDOW:
                    if not inflight:
                        if not self.proc.is_alive():  # died while idle (OOM killer, say)
                            self._replace()
                        head_started = time.monotonic()
                    try:
                        self.conn.send((name, next_send, *items[next_send]))
                    except OSError:  # it died on an item in flight: reading that item's EOF says so
                        if inflight:
                            break
                        self._replace()
                        continue
                    inflight.append(next_send)
                    next_send += 1
                if not inflight:
                    return
                head = inflight[0]
                failure = None
                if not self._ready(head_started + item_deadlines[head]):
                    failure = Outcome.failed(Status.TIMEOUT, "no verdict within the item deadline", "deadline_exceeded")
                else:
                    try:
                        index, outcome = self.conn.recv()
                    except (EOFError, OSError):  # the pipe closed: the process died on this item
                        failure = Outcome.failed(Status.ERROR, "the worker process died on this item", "worker_crashed")
                    else:
                        if index != head:  # verdicts come back in the order sent, or the pipe is broken
                            raise RuntimeError(f"worker answered item {index} while item {head} was due")
                        out[offset + index] = outcome
                        inflight.popleft()
                        head_started = time.monotonic()
                        continue
                out[offset + head] = failure
                if closing.is_set():  # the pool killed this worker on shutdown: nothing to replace
                    return
                log.warning("worker %s on item %d: %s; replacing it", self.proc.pid, offset + head, failure.error)
                on_restart()
                self._replace()
                next_send = head + 1  # what the killed worker held is sent again
                inflight.clear()
        except Exception as exc:  # WorkerStartError, a broken pipe: never the whole request
            log.error("worker pool failed: %s", exc)
            self.proc.kill()  # whatever state it is in, the next run starts from a fresh process
            for i in range(len(items)):  # keep what was judged; only the rest is unavailable
                if out[offset + i] is None:
                    out[offset + i] = Outcome.failed(
                        Status.ERROR, f"worker pool unavailable: {exc}", "worker_unavailable"
                    )

    def _ready(self, until: float) -> bool:
        """Whether the pipe has something to read (a verdict, or EOF from a dead worker) by `until`."""
        remaining = until - time.monotonic()
        try:
            return remaining > 0 and self.conn.poll(remaining)
        except (EOFError, OSError):
            return True  # recv will say what happened


class WorkerPool:
    """A fixed number of workers shared by all requests; a batch is split across them."""

    def __init__(
        self,
        specs: dict[str, str],
        size: int,
        item_deadline_s: float,
        on_restart: Callable[[], None] = lambda: None,
        spares: int | None = None,
    ) -> None:
        self._specs = specs
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
        self._spares = spares = _Spares(self._specs, max(1, self._spare_count))
        started = await asyncio.gather(
            *(asyncio.to_thread(_Worker, self._specs, spares) for _ in range(self._size)), return_exceptions=True
        )
        self._workers = [w for w in started if isinstance(w, _Worker)]
        failed = [e for e in started if not isinstance(e, _Worker)]
        if failed:  # leave nothing running behind a pool that did not start
            await self.close()
            raise failed[0]
        for worker in self._workers:
            self._idle.put_nowait(worker)

    async def _run_chunk(
        self,
        name: str,
        items: list[tuple[str, str]],
        out: list[Outcome | None],
        offset: int,
        item_deadlines: list[float],
        abort: threading.Event,
    ) -> None:
        worker = await self._idle.get()
        loop = asyncio.get_running_loop()

        def job() -> None:
            try:
                worker.run(name, items, out, offset, item_deadlines, abort, self._on_restart, self._closing)
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
        abort: threading.Event | None = None,
        budgets: list[float | None] | None = None,
    ) -> list[Outcome]:
        """Score items across the pool; one outcome per item, in order, by `deadline_s` at the latest.

        An item's deadline is the pool's item deadline, or its budget (the reference's own limits,
        `Verifier.item_budget_s`) when that is longer."""
        if not items:
            return []
        abort = abort or threading.Event()
        out: list[Outcome | None] = [None] * len(items)
        limits = [max(self._deadline, b or 0.0) for b in budgets or [None] * len(items)]
        size = math.ceil(len(items) / self._size)
        chunks = [
            self._run_chunk(name, items[i : i + size], out, i, limits[i : i + size], abort)
            for i in range(0, len(items), size)
        ]
        try:
            await asyncio.wait_for(asyncio.gather(*chunks), timeout=deadline_s)
        except TimeoutError:
            pass
        finally:
            abort.set()  # deadline, disconnect or done: nothing more is sent for this request
        late = deadline_outcome(deadline_s)
        outcomes = [o if o is not None else late for o in list(out)]
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
