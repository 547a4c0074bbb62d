"""The limits and the environment every sandboxed process gets, whichever backend starts it."""

from __future__ import annotations

MIB = 1024 * 1024
FILE_SIZE_LIMIT = 16 * MIB  # RLIMIT_FSIZE: the largest file a program may write
OPEN_FILES = 64  # RLIMIT_NOFILE
PROCESSES = 32  # RLIMIT_NPROC, per uid, threads included
TMP_SIZE = 64 * MIB  # the sandbox's /tmp, its only writable place
OUTPUT_CAP = 1 * MIB  # stdout; more ends the run
STDERR_TAIL = 8 * 1024  # only the last bytes of stderr are kept
EXIT_GRACE_S = 0.2  # after the exit, how long a leftover holding a pipe may keep it open (plain mode)

ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "MALLOC_ARENA_MAX": "2",  # RLIMIT_AS at 512 MiB would otherwise allow only a few threads
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    "HOME": "/tmp",
}
