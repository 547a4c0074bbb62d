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
import multiprocessing as mp
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from rlvr.services.protocol import Status
from rlvr.services.runtime.scoring import Outcome, deadline_outcome, score_one
from rlvr.services.verifiers.base import Verifier
from rlvr.services.verifiers.registry import load_verifier

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 120.0  # importing a verifier's libraries is not part of any item's deadline
WINDOW = 4  # items in flight per worker: hides the pipe's round trip, bounds what a kill re-sends


WARM_REFERENCE_S = 1.0  # a spare gives each reference it pre-parses at most this long


class _WarmTimeout(BaseException):
    """A warm-up overran WARM_REFERENCE_S (BaseException: score_one must not swallow it)."""


def _on_alarm(signum: int, frame: object) -> None:
    raise _WarmTimeout


def _warm(verifier: Verifier, references: list[str]) -> None:
    """Score each reference against an empty completion, so that the verifier's reference caches
    (SymPy parses for math) are filled; each is bounded by a timer (the worker's main thread)."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        for reference in references:
            try:
                signal.setitimer(signal.ITIMER_REAL, WARM_REFERENCE_S)
                score_one(verifier, "", reference)
            except _WarmTimeout:
                pass  # a reference that hangs the verifier is simply not pre-parsed
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def _worker_main(conn: Connection, specs: dict[str, str]) -> None:
    verifiers = {name: load_verifier(spec) for name, spec in specs.items()}
    for verifier in verifiers.values():
        verifier.warm_up()
    conn.send("ready")
    while True:
        try:
            message = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if message is None:
            return
        if len(message) == 2:  # a spare being kept warm: (name, references) -> "warmed"
            name, references = message
            _warm(verifiers[name], references)
            conn.send("warmed")
            continue
        name, index, completion, reference = message
        conn.send((index, score_one(verifiers[name], completion, reference)))


class WorkerStartError(RuntimeError):
    """A worker process did not come up."""


Process = tuple[BaseProcess, Connection]


def _start_process(specs: dict[str, str]) -> Process:
    """Start a worker and wait until its verifiers are loaded."""
    ctx = mp.get_context("spawn")  # no fork of a threaded server
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_worker_main, args=(child, specs), daemon=True)
    proc.start()
    child.close()
    if not parent.poll(STARTUP_TIMEOUT_S):
        _kill(proc, parent)
        raise WorkerStartError(f"worker did not start within {STARTUP_TIMEOUT_S:.0f}s")
    try:
        parent.recv()
    except EOFError as exc:
        _kill(proc, parent)
        raise WorkerStartError(f"worker exited while loading verifiers {sorted(specs)}") from exc
    return proc, parent


def _kill(proc: BaseProcess, conn: Connection) -> None:
    proc.kill()
    proc.join(timeout=5)
    conn.close()


class _Spares:
    """Worker processes started ahead of need: replacing a killed worker then costs no start-up
    (spawning and importing SymPy takes about a second, which would otherwise land on the batch).

    Spares are also kept warm with the references the pool has scored lately (`remember`): a
    replacement that had to parse each of its batch's references again (SymPy: 40-70 ms each)
    would add that to a batch a hostile item already held for a whole deadline. Only references
    whose items were scored are remembered (one that timed out or crashed a worker is not sent to
    the spares), each warm-up is bounded in the spare by a timer, and acknowledged.
    """

    RECENT_REFERENCES = 256  # per verifier, sent to each new spare
    MAX_REFERENCE_CHARS = 4096  # hostile-sized references are not worth keeping or sending

    def __init__(self, specs: dict[str, str], count: int) -> None:
        self._specs = specs
        self._ready: queue.Queue[Process | BaseException] = queue.Queue()
        self._closed = False
        self._lock = threading.Lock()
        self._starting: list[threading.Thread] = []
        self._recent: dict[str, dict[str, None]] = {}  # verifier -> references, oldest first
        self._pending: dict[int, int] = {}  # spare pid -> warm-ups sent and not yet acknowledged
        # Writes to the spares' pipes happen here, never on the event loop (a busy spare reads late).
        self._warmer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rlvr-spare-warmer")
        for _ in range(count):
            self._refill()

    def remember(self, name: str, references: list[str]) -> None:
        """Note a batch's references; the new ones go to every idle spare to pre-parse."""
        with self._lock:
            if self._closed:
                return
            recent = self._recent.setdefault(name, {})
            new = [r for r in dict.fromkeys(references) if r not in recent and len(r) <= self.MAX_REFERENCE_CHARS]
            if not new:
                return
            for reference in new:
                recent[reference] = None
            while len(recent) > self.RECENT_REFERENCES:
                del recent[next(iter(recent))]
        with contextlib.suppress(RuntimeError):  # closed meanwhile
            self._warmer.submit(self._send_to_idle, name, new[-64:])  # a batch's worth at a time

    def _send_to_idle(self, name: str, references: list[str]) -> None:
        spares: list[Process | BaseException] = []
        while True:  # out of the queue while we write to their pipes: `take` waits, never races us
            try:
                spares.append(self._ready.get_nowait())
            except queue.Empty:
                break
        for spare in spares:
            if not isinstance(spare, BaseException):
                self._send_warm(spare, name, references)
            self._ready.put(spare)

    def _send_warm(self, spare: Process, name: str, references: list[str]) -> None:
        with contextlib.suppress(OSError):
            spare[1].send((name, references))
            with self._lock:
                self._pending[spare[0].pid or 0] = self._pending.get(spare[0].pid or 0, 0) + 1

    def _settle(self, spare: Process) -> bool:
        """Read the spare's acknowledgements of every warm-up sent to it (each is bounded in the
        spare by WARM_REFERENCE_S); False when it died meanwhile."""
        proc, conn = spare
        with self._lock:
            pending = self._pending.pop(proc.pid or 0, 0)
        try:
            while pending:
                if not conn.poll(WARM_REFERENCE_S * 64 + 5):  # one message: at most 64 references
                    return False
                if conn.recv() == "warmed":
                    pending -= 1
        except (EOFError, OSError):
            return False
        return True

    def _refill(self) -> None:
        def start() -> None:
            try:
                got: Process | BaseException = _start_process(self._specs)
            except BaseException as exc:  # handed to whoever takes the spare
                got = exc
            with self._lock:
                if self._closed and not isinstance(got, BaseException):
                    _kill(*got)
                    return
                recent = [(name, list(refs)[-64:]) for name, refs in self._recent.items() if refs]
            if not isinstance(got, BaseException):
                for name, references in recent:
                    self._send_warm(got, name, references)
            with self._lock:
                if self._closed and not isinstance(got, BaseException):
                    _kill(*got)
                    return
                self._ready.put(got)

        thread = threading.Thread(target=start, daemon=True, name="rlvr-spare-worker")
        self._starting = [t for t in self._starting if t.is_alive()] + [thread]
        thread.start()

    def take(self, timeout_s: float = STARTUP_TIMEOUT_S) -> Process:
        """A started worker; a new spare starts in its place."""
        until = time.monotonic() + timeout_s
        while True:
            if self._closed:
                raise WorkerStartError("the pool is closing")
            try:
                got = self._ready.get(timeout=max(until - time.monotonic(), 0))
            except queue.Empty:
                raise WorkerStartError(f"no spare worker became ready within {timeout_s:.0f}s") from None
            self._refill()
            if isinstance(got, BaseException):
                raise WorkerStartError(f"spare worker failed to start: {got}")
            # Its warm-ups come before any item, so their acknowledgements are read before the first
            # item's deadline starts (a fresh spare is usually done long before it is needed).
            if self._settle(got):
                return got
            log.warning("spare worker %s died while warming up; taking another", got[0].pid)
            _kill(*got)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._warmer.shutdown(wait=False, cancel_futures=True)  # a blocked send ends when its spare is killed
        for thread in self._starting:  # a spare still starting kills itself once up: wait for that
            thread.join(timeout=STARTUP_TIMEOUT_S)
        while True:
            try:
                got = self._ready.get_nowait()
            except queue.Empty:
                return
            if not isinstance(got, BaseException):
                _kill(*got)


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
        item_deadline_s: float,
        abort: threading.Event,
        on_restart: Callable[[], None],
        closing: threading.Event,
    ) -> None:
        """Fill out[offset + i] for each item, in order, until done or `abort` is set. Blocking."""
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
                if not self._ready(head_started + item_deadline_s):
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
        self, name: str, items: list[tuple[str, str]], out: list[Outcome | None], offset: int, abort: threading.Event
    ) -> None:
        worker = await self._idle.get()
        loop = asyncio.get_running_loop()

        def job() -> None:
            try:
                worker.run(name, items, out, offset, self._deadline, abort, self._on_restart, self._closing)
            finally:
                with contextlib.suppress(RuntimeError):  # the loop is gone: the service is stopping
                    loop.call_soon_threadsafe(self._idle.put_nowait, worker)

        future = loop.run_in_executor(self._threads, job)
        self._busy.add(future)
        future.add_done_callback(self._busy.discard)
        await asyncio.shield(future)  # cancelling the request must not cancel the thread's bookkeeping

    async def score(
        self, name: str, items: list[tuple[str, str]], deadline_s: float, abort: threading.Event | None = None
    ) -> list[Outcome]:
        """Score items across the pool; one outcome per item, in order, by `deadline_s` at the latest."""
        if not items:
            return []
        abort = abort or threading.Event()
        out: list[Outcome | None] = [None] * len(items)
        size = math.ceil(len(items) / self._size)
        chunks = [self._run_chunk(name, items[i : i + size], out, i, abort) for i in range(0, len(items), size)]
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
