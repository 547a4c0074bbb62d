"""Worker processes for the pool: what runs inside one, how one is started and killed, and the warm
spares that replace a killed worker at once (see pool.py for how they are used)."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import queue
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from rlvr.services.sandbox.settings import SandboxSettings, configure
from rlvr.services.verifiers.base import Verifier
from rlvr.services.verifiers.outcome import score_one
from rlvr.services.verifiers.registry import load_verifier

log = logging.getLogger("rlvr.services.runtime.pool")

STARTUP_TIMEOUT_S = 120.0  # importing a verifier's libraries is not part of any item's deadline
START_ATTEMPTS = 3  # a spare killed while loading (the OOM killer, say) is started again, this many times in all


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


@dataclass(frozen=True)
class Loadout:
    """What a worker starts with: its verifiers (name -> spec) and the sandbox's settings, handed down
    from the service's `Settings` (None: the worker reads RLVR_CODE_* itself, as a library user would)."""

    specs: dict[str, str]
    sandbox: SandboxSettings | None = None


def _worker_main(conn: Connection, loadout: Loadout) -> None:
    if loadout.sandbox is not None:
        configure(loadout.sandbox)
    verifiers = {name: load_verifier(spec) for name, spec in loadout.specs.items()}
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


def _start_process(loadout: Loadout) -> Process:
    """Start a worker and wait until its verifiers are loaded."""
    proc, conn = _spawn(loadout)
    _wait_ready(proc, conn, loadout)
    return proc, conn


def _spawn(loadout: Loadout) -> Process:
    ctx = mp.get_context("spawn")  # no fork of a threaded server
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_worker_main, args=(child, loadout), daemon=True)
    proc.start()
    child.close()
    return proc, parent


def _wait_ready(proc: BaseProcess, parent: Connection, loadout: Loadout) -> None:
    if not parent.poll(STARTUP_TIMEOUT_S):
        _kill(proc, parent)
        raise WorkerStartError(f"worker did not start within {STARTUP_TIMEOUT_S:.0f}s")
    try:
        parent.recv()
    except (EOFError, OSError) as exc:
        _kill(proc, parent)
        raise WorkerStartError(f"worker exited while loading verifiers {sorted(loadout.specs)}") from exc


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

    def __init__(self, loadout: Loadout, count: int) -> None:
        self._loadout = loadout
        self._ready: queue.Queue[Process | BaseException] = queue.Queue()
        self._closed = False
        self._lock = threading.Lock()
        self._starting: list[threading.Thread] = []
        self._unclaimed: set[BaseProcess] = set()  # started and not yet taken: loading, warming or ready
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
            got = self._start()
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

    def _start(self) -> Process | BaseException:
        """A loaded worker, or why none loaded in START_ATTEMPTS tries (handed to whoever takes the spare)."""
        got: Process | BaseException = WorkerStartError("the pool is closing")
        for attempt in range(1, START_ATTEMPTS + 1):
            if self._closed:
                break
            try:
                return self._start_once()
            except BaseException as exc:
                got = exc
                if not self._closed:
                    log.warning("spare worker failed to start (attempt %d of %d): %s", attempt, START_ATTEMPTS, exc)
        return got

    def _start_once(self) -> Process:
        proc, conn = _spawn(self._loadout)
        with self._lock:  # `close` kills every spare not taken, loading ones too (it never waits for a load)
            if self._closed:
                _kill(proc, conn)
                raise WorkerStartError("the pool is closing")
            self._unclaimed.add(proc)
        try:
            _wait_ready(proc, conn, self._loadout)
        except BaseException:
            with self._lock:
                self._unclaimed.discard(proc)
            raise
        return proc, conn

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
            settled = self._settle(got)
            with self._lock:
                self._unclaimed.discard(got[0])
            if settled:
                return got
            log.warning("spare worker %s died while warming up; taking another", got[0].pid)
            _kill(*got)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            unclaimed = list(self._unclaimed)
        self._warmer.shutdown(wait=False, cancel_futures=True)  # a blocked send ends when its spare is killed
        for proc in unclaimed:  # wherever it is (loading, being warmed, ready); a loading one's thread stops
            proc.kill()
        for proc in unclaimed:
            proc.join(timeout=5)
        for thread in self._starting:  # each ends at once: its spare is dead, or it kills it (closed)
            thread.join(timeout=STARTUP_TIMEOUT_S)
        while True:
            try:
                got = self._ready.get_nowait()
            except queue.Empty:
                return
            if not isinstance(got, BaseException):
                _kill(*got)
