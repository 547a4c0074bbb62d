"""A test's processes watched from the runner, outside them: their output pipes drained with a cap
each, their wall deadline, and afterwards every other process of the uid killed and reaped."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time

from .common import MIB

TYPE_CHECKING = False  # `typing` is not imported at run time (the sandbox starts fast without it)
if TYPE_CHECKING:
    from typing import Any

LIMITED = ("stdout", "value")  # outputs whose cap ends the test (`over`); the others keep a tail
LINGER_S = 0.05  # after the exit, how long pipes a leftover still holds are read


def sweep() -> None:
    """Kill every other process of this uid here (daemons, bombs) and reap what comes back."""
    with contextlib.suppress(OSError):
        os.kill(-1, signal.SIGKILL)
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return
        except InterruptedError:
            continue


class Drain:
    """Output pipes (name -> fd) read without blocking, each kept within its cap (negative: a tail)."""

    def __init__(self, pipes: dict[str, int], caps: dict[str, int]) -> None:
        self.pipes, self.caps = pipes, caps
        self.bufs = {name: bytearray() for name in pipes}
        self.open = {fd: name for name, fd in pipes.items()}
        self.over = False
        for fd in self.open:
            os.set_blocking(fd, False)

    def read(self, fd: int) -> None:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        name = self.open[fd]
        if not chunk:
            del self.open[fd]
            return
        buf = self.bufs[name]
        buf += chunk
        cap = self.caps.get(name, MIB)
        if cap < 0:
            del buf[: max(0, len(buf) + cap)]
        elif len(buf) > cap:
            del buf[cap:]
            if name in LIMITED:
                self.over = True
            del self.open[fd]

    def close(self) -> None:
        for fd in self.pipes.values():
            with contextlib.suppress(OSError):
                os.close(fd)


def collect(
    pid: int, pipes: dict[str, int], deadline: float, caps: dict[str, int], wait_for: tuple[str, ...] | None = None
) -> tuple[int | None, int | None, dict[str, bytearray], bool, bool]:
    """Drain `pipes` with `caps` until `pid` exits (and the pipes in `wait_for` are at EOF, or
    LINGER_S more has passed) or the deadline; then sweep. (exit code, signal, outputs, timed out, over)."""
    drain = Drain(pipes, caps)
    waiting = set(pipes) if wait_for is None else set(wait_for)
    try:
        pidfd: int | None = os.pidfd_open(pid)  # readable when the child exits: no polling
    except (AttributeError, OSError):
        pidfd = None
    status, timed_out = _wait(pid, pidfd, drain, deadline, waiting)
    if status is None:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    if pidfd is not None:
        os.close(pidfd)
    sweep()  # reaps pid too
    drain.close()
    if status is None:
        return None, signal.SIGKILL, drain.bufs, timed_out, drain.over
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status), None, drain.bufs, timed_out, drain.over
    return None, os.WTERMSIG(status), drain.bufs, timed_out, drain.over


def _wait(pid: int, pidfd: int | None, drain: Drain, deadline: float, waiting: set[str]) -> tuple[int | None, bool]:
    """(wait status or None, timed out): the loop of `collect`."""
    status: int | None = None
    exited_at: float | None = None
    while True:
        if status is None:
            got, st = os.waitpid(pid, os.WNOHANG)
            if got:
                status, exited_at = st, time.monotonic()
        now = time.monotonic()
        if exited_at is not None and (not (waiting & set(drain.open.values())) or now > exited_at + LINGER_S):
            return status, False  # exited; a leftover holding a pipe is killed by the sweep
        if status is None and now > deadline:
            return None, True
        wait = (0.02 if pidfd is None else 1.0) if status is None else 0.01
        watch = list(drain.open) + ([pidfd] if pidfd is not None and status is None else [])
        try:
            ready, _, _ = select.select(watch, [], [], min(wait, max(0.0, deadline - now)))
        except InterruptedError:
            continue
        for fd in ready:
            if fd in drain.open:
                drain.read(fd)
        if drain.over:
            return status, False


def verdict_fields(code: int | None, sig: int | None, timed_out: bool, over: bool, wall: float) -> dict[str, Any]:
    return {"exit": code, "signal": sig, "timed_out": bool(timed_out), "over": bool(over),
            "wall": round(wall, 4), "cpu_limit": sig == signal.SIGXCPU}  # fmt: skip
