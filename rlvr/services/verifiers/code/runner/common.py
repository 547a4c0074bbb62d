"""What the runner's modules share: the job (its configuration and the runner's own results pipe),
and what a test's child does before and after the program (limits, descriptors, stdio, exit)."""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import os
import resource
import sys

TYPE_CHECKING = False  # `typing` is not imported at run time (the sandbox starts fast without it)
if TYPE_CHECKING:
    from types import CodeType
    from typing import Any, NoReturn

MIB = 1024 * 1024


def read_all(fd: int) -> bytes:
    parts = []
    while part := os.read(fd, 1 << 16):
        parts.append(part)
    os.close(fd)
    return b"".join(parts)


class Job:
    """The run's configuration (read from its pipe) and the results pipe only the runner holds."""

    def __init__(self, fds: dict[str, int]) -> None:
        self.cfg: dict[str, Any] = json.loads(read_all(fds["config"]))
        self.results = fds["results"]
        self.test_fd: int | None = fds.get("test")
        os.set_inheritable(self.results, False)
        self.kind: str = self.cfg["kind"]
        self.time_s: float = self.cfg["time_limit_s"]
        self.memory_mb: int = self.cfg["memory_mb"]
        self.program: str = self.cfg["program"]

    def report(self, row: dict[str, Any]) -> None:
        """One JSON line on the results pipe."""
        view = memoryview((json.dumps(row) + "\n").encode())
        while view:
            view = view[os.write(self.results, view) :]


def limits(time_s: float, memory_mb: int) -> None:
    cpu = int(time_s) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * MIB, memory_mb * MIB))
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 * MIB, 16 * MIB))
    resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))


def only_fds(keep: set[int]) -> None:
    """Close every fd from 3 up but `keep` (the runner's results pipe is never kept)."""
    low = 3
    for fd in sorted(keep):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1
    os.closerange(low, 1024)


def fresh_stdio() -> None:
    """Buffered, as an ordinary interpreter's (sys.stdin.buffer.readline must not read bytewise)."""
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)))
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)))
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
    sys.set_int_max_str_digits(0)  # print(2 ** 20000) is a legitimate answer


def print_exception(limit: int) -> None:
    import traceback

    try:
        traceback.print_exc(limit=limit)
        sys.stderr.flush()
    except BaseException:
        pass


def compile_program(*sources: str) -> list[CodeType] | None:
    """The program's code, compiled by the runner before any of it runs; None: it does not compile
    (the runner's own verdict, `syntax_error`: nothing the program does at run time can claim it)."""
    sys.set_int_max_str_digits(0)  # as in the test's child: a long integer literal is no error
    try:
        return [compile(source, "<program>", "exec") for source in sources]
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def run_user(code: CodeType, namespace: dict[str, Any]) -> int:
    """Run the program's code; the status an interpreter would exit with (never 0 for an exit with
    a non-zero code). No status means anything to the runner but zero or not zero."""
    try:
        exec(code, namespace)
        return 0
    except SystemExit as e:
        if e.code is None or e.code == 0:
            return 0
        if not isinstance(e.code, int):
            with contextlib.suppress(Exception):
                sys.stderr.write(f"{e.code}\n")
            return 1
        return e.code & 0xFF or 1
    except BaseException:
        print_exception(5)
        return 1


def namespace(name: str) -> dict[str, Any]:
    return {"__name__": name, "__builtins__": builtins}


def finish(code: int) -> NoReturn:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()
    os._exit(code)
