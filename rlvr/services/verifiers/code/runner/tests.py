"""stdin/stdout and function-call tests: one child per test runs the program (and calls the
function), the runner watches it (watch.collect) and reports its exit, stdout or return value. The
expected outputs never come in: the service compares (judge.py). The program is compiled once, by
the runner, before any test runs."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time

from . import common, watch
from .common import MIB

TYPE_CHECKING = False  # `typing` is not imported at run time (the sandbox starts fast without it)
if TYPE_CHECKING:
    from types import CodeType
    from typing import Any, NoReturn

    from .common import Job


def child(job: Job, program: CodeType, test: dict[str, Any], value_fd: int) -> NoReturn:
    """The test's process: the program (and, for a function call, the call; its JSON on `value_fd`)."""
    common.only_fds({value_fd} if job.kind == "call" else set())
    common.limits(job.time_s, job.memory_mb)
    common.fresh_stdio()
    ns = common.namespace("__main__" if job.kind == "stdio" else "solution")
    code = common.run_user(program, ns)
    if code != 0 or job.kind == "stdio":
        common.finish(code)
    fn = ns.get(job.cfg["fn_name"])
    if not callable(fn):
        sys.stderr.write(f"no function named {job.cfg['fn_name']!r}\n")
        common.finish(1)
    try:
        data = json.dumps(fn(*test["args"]), allow_nan=True).encode()
    except SystemExit:
        common.finish(1)  # exiting instead of returning is no value
    except BaseException:
        common.print_exception(5)
        common.finish(1)
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(value_fd, view[: 1 << 16]) :]
    except OSError:
        common.finish(1)
    common.finish(0)


def feed(fd: int, data: bytes) -> None:
    """Write a test's stdin without blocking on a program that does not read it."""
    os.set_blocking(fd, False)
    try:
        n = os.write(fd, data) if data else 0
    except OSError:
        n = len(data)
    rest = data[n:]
    if not rest:
        os.close(fd)
        return

    def write_rest() -> None:
        os.set_blocking(fd, True)
        with contextlib.suppress(OSError):
            os.write(fd, rest)
        with contextlib.suppress(OSError):
            os.close(fd)

    threading.Thread(target=write_rest, daemon=True).start()


def run_tests(job: Job) -> None:
    """Every test, in order, one row each; none runs when the program does not compile."""
    compiled = common.compile_program(job.program)
    for i, test in enumerate(job.cfg["tests"]):
        if compiled is None:
            job.report({"i": i, "syntax_error": True, "wall": 0.0})
        else:
            run_test(job, compiled[0], i, test)


def run_test(job: Job, program: CodeType, i: int, test: dict[str, Any]) -> None:
    """Run test `i` in a child of its own and report its row."""
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    val_r, val_w = os.pipe()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(in_r, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            child(job, program, test, val_w)
        except BaseException:
            os._exit(1)
    for fd in (in_r, out_w, err_w, val_w):
        os.close(fd)
    feed(in_w, test.get("stdin", "").encode())
    pipes = {"stdout": out_r, "stderr": err_r}
    if job.kind == "call":
        pipes["value"] = val_r
    else:
        os.close(val_r)
    caps = {"stdout": MIB, "value": MIB, "stderr": -2048}
    watched = watch.collect(pid, pipes, t0 + job.time_s, caps)
    fields = watched.fields(job.time_s, job.memory_mb, watched.code != 0, time.monotonic() - t0)
    row = {"i": i, **fields, "stderr": watched.bufs["stderr"].decode(errors="replace")}
    output = "value" if job.kind == "call" else "stdout"
    row[output] = watched.bufs[output].decode(errors="replace")
    job.report(row)
