"""After each job of the zygote (zygote.py): no process of the slot uid left (killed, reaped), /tmp
empty, and nothing of the job parked where a process no longer holds it. Runs inside the sandbox.
"""

from __future__ import annotations

import os
import signal
import socket
import time

from . import common

TYPE_CHECKING = False  # `typing` is not imported at run time: every sandboxed process starts here
if TYPE_CHECKING:
    from collections.abc import Callable


def as_uid(uid: int, work: Callable[[], bool]) -> bool:
    """work(), in a child at the slot uid holding nothing of the zygote; True when it returned True."""
    pid = os.fork()
    if pid == 0:
        ok = False
        try:
            common.close_all_but(set())
            common.drop_to(uid)
            ok = work()
        finally:
            os._exit(0 if ok else 1)
    while True:
        got, status = os.waitpid(-1, 0)
        if got == pid:
            return status == 0


def kill_all() -> bool:
    os.kill(-1, signal.SIGKILL)  # every process of the uid here but this one
    return True


def wipe(path: str) -> bool:
    """Remove everything under `path` (locked directories too); True when it is empty."""
    for entry in os.scandir(path):
        if entry.is_dir(follow_symlinks=False):
            os.chmod(entry.path, 0o700)
            wipe(entry.path)
            os.rmdir(entry.path)
        else:
            os.unlink(entry.path)
    return not os.listdir(path)


def settle(uid: int) -> bool:
    """After a job: no process of the uid left (reaped), /tmp empty; False when that failed."""
    for _ in range(8):
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            break
        as_uid(uid, kill_all)
        try:
            while True:
                os.waitpid(-1, 0)
        except ChildProcessError:
            break
    else:
        return False
    return (not os.listdir("/tmp") or as_uid(uid, lambda: wipe("/tmp"))) and no_residue()


def no_residue() -> bool:
    """Descriptors a job parked in a Unix socket's queue (SCM_RIGHTS passed around in a loop)
    outlive every process: a deleted file keeps /tmp full, a pty or an abstract name carries data to
    the next job. Closing a Unix socket runs the kernel's collector of such cycles; then nothing of
    the job may remain, or the zygote is replaced (a fresh sandbox has none of it)."""
    for _ in range(5):
        a, b = socket.socketpair()
        a.close()
        b.close()
        with open("/proc/net/unix") as f:
            sockets = len(f.read().splitlines()) - 1
        ptys = [name for name in os.listdir("/dev/pts") if name != "ptmx"]
        tmp = os.statvfs("/tmp")
        if not sockets and not ptys and tmp.f_bfree == tmp.f_blocks:
            return True
        time.sleep(0.01)
    return False
