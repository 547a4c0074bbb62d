"""Worker pool for `process`-isolated verifiers: hard per-item deadlines enforced from outside.

Each worker is a spawned process that scores a chunk of items and streams back one outcome
per item. The parent waits at most `item_deadline_s` for each; past it, the worker is killed
and replaced, that item is `timeout`, and the rest of the chunk goes to the new worker. This
works whatever the verifier does (SymPy in a C loop, a regex gone exponential), unlike SIGALRM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import multiprocessing as mp
import queue
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from rlvr.services.protocol import Status
from rlvr.services.runtime.scoring import Outcome, score_one
from rlvr.services.verifiers.registry import load_verifier

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 120.0  # importing a verifier's libraries is not part of any item's deadline


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
        name, items = message
        for index, (completion, reference) in enumerate(items):
            conn.send((index, score_one(verifiers[name], completion, reference)))


class WorkerStartError(RuntimeError):
    """A worker process did not come up."""


def _start_process(specs: dict[str, str]) -> tuple[BaseProcess, Connection]:
    """Start a worker and wait until its verifiers are loaded."""
    ctx = mp.get_context("spawn")  # no fork of a threaded server
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_worker_main, args=(child, specs), daemon=True)
    proc.start()
    child.close()
    if not parent.poll(STARTUP_TIMEOUT_S):
        proc.kill()
        raise WorkerStartError(f"worker did not start within {STARTUP_TIMEOUT_S:.0f}s")
    try:
        parent.recv()
    except EOFError as exc:
        raise WorkerStartError(f"worker exited while loading verifiers {sorted(specs)}") from exc
    return proc, parent


class _Spare:
    """One worker process started ahead of need: replacing a killed worker then costs no start-up
    (spawning and importing SymPy takes about a second, which would otherwise land on the batch)."""

    def __init__(self, specs: dict[str, str]) -> None:
        self._specs = specs
        self._ready: queue.Queue[tuple[BaseProcess, Connection] | BaseException] = queue.Queue(maxsize=1)
        self._refill()

    def _refill(self) -> None:
        def start() -> None:
            try:
                self._ready.put(_start_process(self._specs))
            except BaseException as exc:  # handed to whoever takes the spare
                self._ready.put(exc)

        threading.Thread(target=start, daemon=True, name="rlvr-spare-worker").start()

    def take(self) -> tuple[BaseProcess, Connection]:
        got = self._ready.get(timeout=STARTUP_TIMEOUT_S)
        self._refill()
        if isinstance(got, BaseException):
            raise WorkerStartError(f"spare worker failed to start: {got}")
        return got

    def close(self) -> None:
        with contextlib.suppress(queue.Empty):
            got = self._ready.get(timeout=STARTUP_TIMEOUT_S)
            if not isinstance(got, BaseException):
                got[0].kill()
                got[0].join(timeout=5)


class _Worker:
    """One child process and the pipe to it; used by one thread at a time."""

    def __init__(self, specs: dict[str, str], spare: _Spare) -> None:
        self._spare = spare
        self.proc, self.conn = _start_process(specs)

    def spawn(self) -> None:
        self.proc, self.conn = self._spare.take()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join(timeout=5)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.proc.join(timeout=2)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(timeout=5)
        self.conn.close()

    def run(
        self, name: str, items: list[tuple[str, str]], deadline_s: float, on_restart: Callable[[], None]
    ) -> list[Outcome]:
        """Score items in order; blocking, so call it from a thread."""
        out: list[Outcome | None] = [None] * len(items)
        start = 0
        while start < len(items):
            if not self.proc.is_alive():  # died while idle (OOM killer, say)
                self.kill()
                self.spawn()
            self.conn.send((name, items[start:]))
            for position in range(start, len(items)):
                failure = None
                if not self.conn.poll(deadline_s):
                    failure = Outcome.failed(Status.TIMEOUT, f"no verdict within {deadline_s:g}s", "deadline_exceeded")
                else:
                    try:
                        index, outcome = self.conn.recv()
                        out[start + index] = outcome
                        continue
                    except EOFError:
                        failure = Outcome.failed(Status.ERROR, "the worker process died on this item", "worker_crashed")
                out[position] = failure
                log.warning("worker %s on item %d: %s; replacing it", self.proc.pid, position, failure.error)
                self.kill()
                on_restart()
                self.spawn()
                start = position + 1
                break
            else:
                start = len(items)
        return [o if o is not None else Outcome.failed(Status.ERROR, "lost") for o in out]


class WorkerPool:
    """A fixed number of workers shared by all requests; a batch is split across them."""

    def __init__(
        self,
        specs: dict[str, str],
        size: int,
        item_deadline_s: float,
        on_restart: Callable[[], None] = lambda: None,
    ) -> None:
        self._specs = specs
        self._size = size
        self._deadline = item_deadline_s
        self._on_restart = on_restart
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._workers: list[_Worker] = []
        self._spare: _Spare | None = None

    async def start(self) -> None:
        self._spare = spare = _Spare(self._specs)
        self._workers = await asyncio.gather(
            *(asyncio.to_thread(_Worker, self._specs, spare) for _ in range(self._size))
        )
        for worker in self._workers:
            self._idle.put_nowait(worker)

    async def _run_chunk(self, name: str, chunk: list[tuple[str, str]]) -> list[Outcome]:
        worker = await self._idle.get()
        try:
            return await asyncio.to_thread(worker.run, name, chunk, self._deadline, self._on_restart)
        except (WorkerStartError, OSError) as exc:
            log.error("worker pool failed: %s", exc)
            return [Outcome.failed(Status.ERROR, f"worker pool unavailable: {exc}", "worker_unavailable")] * len(chunk)
        finally:
            self._idle.put_nowait(worker)

    async def score(self, name: str, items: list[tuple[str, str]]) -> list[Outcome]:
        """Score items with the named verifier across the pool; one outcome per item, in order."""
        size = math.ceil(len(items) / self._size)
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        results = await asyncio.gather(*(self._run_chunk(name, chunk) for chunk in chunks))
        return [outcome for chunk in results for outcome in chunk]

    async def close(self) -> None:
        await asyncio.gather(*(asyncio.to_thread(w.stop) for w in self._workers))
        self._workers = []
        if self._spare is not None:
            await asyncio.to_thread(self._spare.close)
