"""Feeding and draining a sandboxed process's pipes with caps and a wall-clock deadline.

Inputs are written without blocking on a reader that never reads; outputs are read with a byte cap
each (a negative cap keeps only that many trailing bytes). Exceeding stdout's cap ends the run.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
import time
from dataclasses import dataclass, field

EXIT_GRACE_S = 0.2  # after the process exits, how long a leftover holding a pipe may keep it open
CHUNK = 65536


@dataclass(slots=True)
class Pumped:
    got: dict[str, bytearray] = field(default_factory=dict)
    over: set[str] = field(default_factory=set)  # outputs that hit their cap
    timed_out: bool = False


def pump(
    proc: subprocess.Popen[bytes],
    writers: dict[int, bytes],
    readers: dict[int, tuple[str, int]],
    deadline: float,
    stop_on_over: str = "__stdout__",
) -> Pumped:
    """Write `writers` (fd -> data) and read `readers` (fd -> (name, cap)) until the process is
    done with them, exits (plus a short grace), `stop_on_over` hits its cap, or `deadline` passes.
    Closes the writers; the readers are left to the caller."""
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
        exited_at = 0.0
        while sel.get_map():
            now = time.monotonic()
            if now >= deadline:
                result.timed_out = True
                return result
            if proc.poll() is not None:  # without a pid namespace a daemon may hold a pipe open
                exited_at = exited_at or now
                if now > exited_at + EXIT_GRACE_S:
                    return result
            for key, _ in sel.select(timeout=min(deadline - now, 0.05)):
                if key.fd in writers:
                    _write(sel, key.fd, key.data, unwritten)
                elif _read(sel, key.fd, *readers[key.fd], result) == stop_on_over:
                    return result
        return result
    finally:
        sel.close()
        for fd in list(unwritten):
            _close(fd, unwritten)


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
