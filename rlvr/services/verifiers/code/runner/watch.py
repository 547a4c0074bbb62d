"""A test's processes watched from the runner, outside them: their output pipes drained with a cap
each, their wall deadline, their resource use (wait4), and afterwards every other process of the
uid killed and reaped. What the runner reports as a test's limits comes from here, never from
anything the program can choose (its exit status, what it prints)."""

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
# A test that ended abnormally is `memory_limit` when one of its processes used at least this share
# of memory_mb (peak resident memory): a MemoryError the program raises itself, or an allocation
# refused at once, used nothing, and is the program's own runtime error.
MEMORY_EVIDENCE = 0.8


class Watched:
    """What the runner saw of a test's decisive process (and of the processes swept after it)."""

    def __init__(self, pipes: dict[str, int], caps: dict[str, int]) -> None:
        self.pipes, self.caps = pipes, caps
        self.bufs = {name: bytearray() for name in pipes}
        self.open = {fd: name for name, fd in pipes.items()}
        self.over = self.timed_out = False
        self.status: int | None = None  # wait status; None: killed by the runner
        self.cpu_s = 0.0  # its CPU time
        self.peak_kib = 0  # the largest resident memory of it and of every process swept
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
            self.over = self.over or name in LIMITED
            del self.open[fd]

    def reaped(self, status: int, usage: Any) -> None:
        self.status = status
        self.cpu_s = usage.ru_utime + usage.ru_stime
        self.peak_kib = max(self.peak_kib, usage.ru_maxrss)

    @property
    def code(self) -> int | None:
        """The exit status; None when it was killed by a signal (or by the runner)."""
        return os.WEXITSTATUS(self.status) if self.status is not None and os.WIFEXITED(self.status) else None

    @property
    def signal(self) -> int | None:
        if self.status is None:
            return signal.SIGKILL
        return os.WTERMSIG(self.status) if os.WIFSIGNALED(self.status) else None

    def fields(self, time_s: float, memory_mb: int, abnormal: bool, wall: float) -> dict[str, Any]:
        """The row's verdict fields. `cpu_limit`: killed by a signal after using its whole CPU
        limit (RLIMIT_CPU's soft limit); `memory_limit`: an abnormal end after using most of its
        memory. A program's own signal or exit status claims neither."""
        cpu_limit = self.signal is not None and self.cpu_s >= int(time_s) + 1 - 0.01
        memory_limit = abnormal and self.peak_kib * 1024 >= MEMORY_EVIDENCE * memory_mb * MIB
        return {"exit": self.code, "signal": self.signal, "timed_out": self.timed_out, "over": self.over,
                "wall": round(wall, 4), "cpu_limit": cpu_limit, "memory_limit": memory_limit}  # fmt: skip

    def close(self) -> None:
        for fd in self.pipes.values():
            with contextlib.suppress(OSError):
                os.close(fd)


def sweep(watched: Watched) -> None:
    """Kill every other process of this uid here (daemons, bombs) and reap what comes back."""
    with contextlib.suppress(OSError):
        os.kill(-1, signal.SIGKILL)
    while True:
        try:
            _, _, usage = os.wait4(-1, 0)
        except ChildProcessError:
            return
        except InterruptedError:
            continue
        watched.peak_kib = max(watched.peak_kib, usage.ru_maxrss)


def collect(
    pid: int, pipes: dict[str, int], deadline: float, caps: dict[str, int], wait_for: tuple[str, ...] | None = None
) -> Watched:
    """Drain `pipes` with `caps` until `pid` exits (and the pipes in `wait_for` are at EOF, or
    LINGER_S more has passed) or the deadline; then sweep."""
    watched = Watched(pipes, caps)
    waiting = set(pipes) if wait_for is None else set(wait_for)
    try:
        pidfd: int | None = os.pidfd_open(pid)  # readable when the child exits: no polling
    except (AttributeError, OSError):
        pidfd = None
    _wait(pid, pidfd, watched, deadline, waiting)
    if watched.status is None:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    if pidfd is not None:
        os.close(pidfd)
    sweep(watched)  # reaps pid too
    watched.close()
    return watched


def _wait(pid: int, pidfd: int | None, watched: Watched, deadline: float, waiting: set[str]) -> None:
    """The loop of `collect`: until the exit (and its output), the deadline, or an output's cap."""
    exited_at: float | None = None
    while True:
        if exited_at is None:
            got, status, usage = os.wait4(pid, os.WNOHANG)
            if got:
                watched.reaped(status, usage)
                exited_at = time.monotonic()
        now = time.monotonic()
        if exited_at is not None and (not (waiting & set(watched.open.values())) or now > exited_at + LINGER_S):
            return  # exited; a leftover holding a pipe is killed by the sweep
        if exited_at is None and now > deadline:
            watched.timed_out = True
            return
        wait = (0.02 if pidfd is None else 1.0) if exited_at is None else 0.01
        watch = list(watched.open) + ([pidfd] if pidfd is not None and exited_at is None else [])
        try:
            ready, _, _ = select.select(watch, [], [], min(wait, max(0.0, deadline - now)))
        except InterruptedError:
            continue
        for fd in ready:
            if fd in watched.open:
                watched.read(fd)
        if watched.over:
            return
