"""What the sandbox's own programs share (bootstrap.py, zygote.py, cleanup.py): dropping
privileges, hardening a process, closing and reading descriptors, running a program's code."""

from __future__ import annotations

import builtins
import ctypes
import os
import sys

TYPE_CHECKING = False  # `typing` is not imported at run time: every sandboxed process starts here
if TYPE_CHECKING:
    from types import CodeType

PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
_libc = ctypes.CDLL(None, use_errno=True)


def prctl(option: int, value: int) -> None:
    _libc.prctl(option, value, 0, 0, 0)


def harden() -> None:
    """no_new_privs; non-dumpable (same-uid processes cannot open its /proc/<pid>/{mem,fd}); a child
    subreaper (orphans come back to this process)."""
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    prctl(PR_SET_DUMPABLE, 0)
    prctl(PR_SET_CHILD_SUBREAPER, 1)


def drop_to(uid: int) -> None:
    """Become `uid` (gid too), in no group; exit with 121 when any root id is left."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if 0 in os.getresuid() or 0 in os.getresgid():
        os._exit(121)
    prctl(PR_SET_DUMPABLE, 0)  # changing uid made it dumpable again


def close_all_but(keep: set[int]) -> None:
    """Close every descriptor from 3 up but those in `keep`."""
    low = 3
    for fd in sorted(keep):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1
    os.closerange(low, 1 << 16)


def read_all(fd: int) -> bytes:
    """Everything until EOF; the descriptor is closed."""
    parts = []
    while part := os.read(fd, 1 << 16):
        parts.append(part)
    os.close(fd)
    return b"".join(parts)


def exec_main(code: CodeType) -> None:
    """Run a program's code as `__main__`, in globals of its own."""
    exec(code, {"__name__": "__main__", "__builtins__": builtins})


def exit_code(exc: SystemExit) -> int:
    """The status an interpreter exits with for `exc` (a non-integer code is printed: status 1)."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    import contextlib  # here: the bootstrap of every one-shot sandbox starts faster without it

    with contextlib.suppress(BaseException):
        sys.stderr.write(str(code) + "\n")
    return 1
