"""A check-code test (HumanEval `check(candidate)`), with a verdict the program cannot forge: `check`
never shares a process with the program.

The runner forks a candidate process C (prelude + program; it then serves calls) and a checker
process K (prelude imports + test; `candidate` in K is a proxy that sends marshal-encoded arguments
to C and gets back a marshal-encoded value: plain data only, never an object of the program's, so
no `__eq__` of the program's ever runs in K; frames.py). K alone holds the verdict pipe and writes
PASS only after `check(candidate)` returned, FAIL when an assertion of the check failed; the test
code reaches only K, on a pipe C never holds. Exit statuses mean nothing but zero or not zero.
Whatever C does (exit, crash, loop, patch its builtins, print anything, kill K) is a missing
verdict: a fail; more than 1 MiB on its stdout ends the test (`output_limit`), as in every kind.
Both are non-dumpable, so C cannot read K's memory or fds through /proc; seccomp refuses ptrace.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import time

from . import common, watch
from .common import MIB
from .frames import as_plain, plain, recv_frame, send_frame

TYPE_CHECKING = False  # `typing` is not imported at run time (the sandbox starts fast without it)
if TYPE_CHECKING:
    from types import CodeType
    from typing import Any, NoReturn

    from .common import Job


class CandidateError(Exception):
    """The candidate did not answer a call with plain data."""


def stdio_to(out_fd: int, err_fd: int) -> None:
    """stdout and stderr to these fds; stdin from /dev/null."""
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    os.dup2(os.open("/dev/null", os.O_RDONLY), 0)


def candidate(job: Job, program: list[CodeType], req_r: int, resp_w: int) -> NoReturn:
    """C: the program's process; never sees the test or the verdict pipe. Serves calls until EOF."""
    common.only_fds({req_r, resp_w})
    common.limits(job.time_s, job.memory_mb)
    common.fresh_stdio()
    # not __main__: a solution's `if __name__ == "__main__":` demo must not run (stdin is empty)
    ns = common.namespace("solution")
    for part in program:  # the prelude's part, then the program's
        code = common.run_user(part, ns)
        if code != 0:
            common.finish(code)
    fn: Any = ns.get(job.cfg["entry_point"])
    while True:
        try:
            args, kwargs = marshal.loads(recv_frame(req_r))
        except EOFError:
            common.finish(0)
        try:
            reply = marshal.dumps((True, as_plain(fn(*args, **kwargs), 0)))
        except BaseException as e:
            try:
                reply = marshal.dumps((False, f"{type(e).__name__}: {str(e)[:500]}"))
            except BaseException:
                reply = marshal.dumps((False, "unencodable error"))
        send_frame(resp_w, reply)


def checker(job: Job, req_w: int, resp_r: int, test_fd: int, verdict_w: int) -> NoReturn:
    """K: trusted reference code; talks to the candidate only through plain data."""
    try:
        common.only_fds({req_w, resp_r, verdict_w, test_fd})
        common.limits(job.time_s, job.memory_mb)
        common.fresh_stdio()
        test_src = common.read_all(test_fd).decode()

        def proxy(*args: Any, **kwargs: Any) -> Any:
            try:
                send_frame(req_w, marshal.dumps((args, kwargs)))
            except (ValueError, TypeError) as e:
                raise CandidateError(f"arguments cannot be sent: {e}") from None
            ok_value = marshal.loads(recv_frame(resp_r))
            if type(ok_value) is not tuple or len(ok_value) != 2 or not plain(ok_value[1]):
                raise CandidateError("the candidate returned something that is not plain data")
            ok, value = ok_value
            if ok is not True:
                raise CandidateError(f"the candidate raised {value}")
            return value

        ns = common.namespace("__main__")
        exec(compile(job.cfg["checker_prelude"], "<prelude>", "exec"), ns)
        ns[job.cfg["entry_point"]] = proxy
        exec(compile(test_src, "<test>", "exec"), ns)
        ns["check"](proxy)
        os.write(verdict_w, b"PASS")
        os._exit(0)
    except AssertionError:
        common.print_exception(3)
        with contextlib.suppress(BaseException):
            os.write(verdict_w, b"FAIL")
    except BaseException:
        common.print_exception(3)
    os._exit(1)


def run_check(job: Job) -> None:
    """Fork C and K, wait for K (the decisive process) while draining C's output (more than 1 MiB
    on its stdout ends the test: `over`), report the row; none runs when the program does not
    compile."""
    program = common.compile_program(job.cfg["prelude_part"], job.program)
    if program is None:
        job.report({"i": 0, "syntax_error": True, "wall": 0.0})
        return
    test_fd = job.test_fd
    if test_fd is None:
        raise ValueError("check code without its test pipe")
    req_r, req_w = os.pipe()  # checker -> candidate
    resp_r, resp_w = os.pipe()  # candidate -> checker
    out_r, out_w = os.pipe()  # candidate stdout: counted, as every kind's, 1 MiB at most (then discarded)
    cerr_r, cerr_w = os.pipe()  # candidate stderr: its tail
    kout_r, kout_w = os.pipe()  # checker stderr (the assertion that failed)
    ver_r, ver_w = os.pipe()  # the verdict: written by the checker only
    t0 = time.monotonic()
    if os.fork() == 0:
        try:
            stdio_to(out_w, cerr_w)
            candidate(job, program, req_r, resp_w)
        except BaseException:
            os._exit(1)
    kpid = os.fork()
    if kpid == 0:
        try:
            stdio_to(kout_w, kout_w)
        except BaseException:
            os._exit(1)
        checker(job, req_w, resp_r, test_fd, ver_w)
    for fd in (req_r, req_w, resp_r, resp_w, out_w, cerr_w, kout_w, ver_w, test_fd):
        os.close(fd)
    pipes = {"verdict": ver_r, "stderr": kout_r, "stdout": out_r, "cand": cerr_r}
    caps = {"verdict": 16, "stderr": -2048, "stdout": MIB, "cand": -2048}  # stdout over 1 MiB: output_limit
    watched = watch.collect(kpid, pipes, t0 + job.time_s, caps, wait_for=("verdict", "stderr"))
    verdict = watched.bufs["verdict"].decode(errors="replace")
    passed = verdict == "PASS" and watched.code == 0
    row = {"i": 0, **watched.fields(job.time_s, job.memory_mb, not passed, time.monotonic() - t0), "verdict": verdict}
    row["stderr"] = (watched.bufs["stderr"] + b"\n" + watched.bufs["cand"]).decode(errors="replace")[-3000:]
    job.report(row)
