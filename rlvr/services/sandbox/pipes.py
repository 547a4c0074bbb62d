"""The pipes of one sandboxed run: made from its inputs and outputs, fed and drained with caps and a
wall-clock deadline, and turned into its `SandboxResult`.

Inputs are written without blocking on a reader that never reads; outputs are read with a byte cap
each (a negative cap keeps only that many trailing bytes). Exceeding stdout's cap ends the run.
The run's end is an fd that becomes readable (a pidfd, the zygote's control socket): no polling.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from rlvr.services.sandbox.limits import OUTPUT_CAP, STDERR_TAIL

CHUNK = 65536


@dataclass(slots=True)
class SandboxResult:
    exit_status: int | None  # negative: killed by that signal
    stdout: bytes
    stderr_tail: bytes
    timed_out: bool
    output_limit: bool
    memory_limit: bool
    wall_s: float
    outputs: dict[str, bytes] = field(default_factory=dict)  # the extra output pipes, capped


@dataclass(slots=True)
class Pipes:
    """Both ends of a run's pipes. The child's ends are named in `child_fds` (stdin, stdout and
    stderr under `__stdin__`, `__stdout__`, `__stderr__`); the parent writes `writers` (fd -> data)
    and reads `readers` (fd -> (name, cap))."""

    writers: dict[int, bytes] = field(default_factory=dict)
    readers: dict[int, tuple[str, int]] = field(default_factory=dict)
    child_fds: dict[str, int] = field(default_factory=dict)

    @classmethod
    def make(cls, inputs: Mapping[str, bytes], outputs: Mapping[str, int]) -> Pipes:
        pipes = cls()
        try:
            for name, data in {"__stdin__": b"", **inputs}.items():
                r, w = os.pipe()
                pipes.writers[w], pipes.child_fds[name] = data, r
            for name, cap in {"__stdout__": OUTPUT_CAP, "__stderr__": -STDERR_TAIL, **outputs}.items():
                r, w = os.pipe()
                pipes.readers[r], pipes.child_fds[name] = (name, cap), w
        except BaseException:
            pipes.close_all()
            raise
        return pipes

    def close_child_ends(self) -> None:
        for fd in self.child_fds.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self.child_fds.clear()

    def close_all(self) -> None:
        self.close_child_ends()
        for fd in [*self.writers, *self.readers]:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.writers.clear()
        self.readers.clear()


@dataclass(slots=True)
class Pumped:
    got: dict[str, bytearray] = field(default_factory=dict)
    over: set[str] = field(default_factory=set)  # outputs that hit their cap
    timed_out: bool = False

    def result(self, exit_status: int | None, wall_s: float) -> SandboxResult:
        got = self.got
        stderr_tail = bytes(got.pop("__stderr__"))
        return SandboxResult(
            exit_status=exit_status,
            stdout=bytes(got.pop("__stdout__")),
            stderr_tail=stderr_tail,
            timed_out=self.timed_out,
            output_limit=bool(self.over),
            memory_limit=b"MemoryError" in stderr_tail[-2000:],
            wall_s=wall_s,
            outputs={name: bytes(buf) for name, buf in got.items()},
        )


def pump(
    done_fd: int,
    pipes: Pipes,
    deadline: float,
    grace_s: float = 0.0,
    stop_on_over: str = "__stdout__",
) -> Pumped:
    """Write the inputs and read the outputs until the run is over and its outputs are drained,
    `stop_on_over` hits its cap, or `deadline` passes. The run is over when `done_fd` is readable;
    after that, outputs are read while data is ready, or for `grace_s` more when a leftover process
    may still hold a pipe (no pid namespace). Closes (and forgets) the writers; the readers are the
    caller's to close."""
    writers, readers = pipes.writers, pipes.readers
    result = Pumped(got={name: bytearray() for name, _ in readers.values()})
    sel = selectors.DefaultSelector()
    unwritten = set(writers)  # closed exactly once (a second close could hit a reused fd number)
    try:
        for fd, data in writers.items():
            os.set_blocking(fd, False)
            if data:
                sel.register(fd, selectors.EVENT_WRITE, memoryview(data))
            else:
                _close(fd, unwritten)
        for fd in readers:
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ)
        sel.register(done_fd, selectors.EVENT_READ)
        done_at: float | None = None
        while True:
            now = time.monotonic()
            if done_at is None and now >= deadline:
                result.timed_out = True
                return result
            if done_at is not None:
                drained = not any(fd in readers for fd in sel.get_map())
                if drained or (grace_s > 0 and now > done_at + grace_s) or now >= deadline:
                    return result  # drained, or a leftover still writes after the grace
            timeout = deadline - now if done_at is None else max(0.0, done_at + grace_s - now)
            events = sel.select(timeout=timeout)
            if not events and done_at is not None:
                return result  # nothing more came within the grace
            for key, _ in events:
                if key.fd == done_fd:
                    done_at = time.monotonic()
                    sel.unregister(done_fd)
                    for fd in list(unwritten):  # the run is over: nobody reads the inputs any more
                        with contextlib.suppress(KeyError):
                            sel.unregister(fd)
                        _close(fd, unwritten)
                elif key.fd in writers:
                    _write(sel, key.fd, key.data, unwritten)
                elif _read(sel, key.fd, *readers[key.fd], result) == stop_on_over:
                    return result
    finally:
        sel.close()
        for fd in list(unwritten):
            _close(fd, unwritten)
        writers.clear()  # all closed: never again (the fd numbers may be reused by then)


def _write(sel: selectors.BaseSelector, fd: int, view: memoryview, unwritten: set[int]) -> None:
    try:
        view = view[os.write(fd, view[:CHUNK]) :]
    except OSError:  # the reader is gone: nothing more to write
        view = view[:0]
    if view:
        sel.modify(fd, selectors.EVENT_WRITE, view)
    else:
        sel.unregister(fd)
        _close(fd, unwritten)


def _read(sel: selectors.BaseSelector, fd: int, name: str, cap: int, result: Pumped) -> str | None:
    """Read one chunk; the name of the output when it just went over its cap."""
    try:
        chunk = os.read(fd, CHUNK)
    except BlockingIOError:
        return None
    if not chunk:
        sel.unregister(fd)
        return None
    buf = result.got[name]
    buf += chunk
    if cap < 0:
        del buf[: max(0, len(buf) + cap)]
    elif len(buf) > cap:
        del buf[cap:]
        result.over.add(name)
        sel.unregister(fd)
        return name
    return None


def _close(fd: int, unwritten: set[int]) -> None:
    unwritten.discard(fd)
    with contextlib.suppress(OSError):
        os.close(fd)
