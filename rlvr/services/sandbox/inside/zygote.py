"""The zygote: a long-lived process inside one bubblewrap sandbox (started by the sandbox's
zygote.py through loader.py) that forks one fresh sandboxed process per job.

It stays root *inside* the sandbox with only CAP_SETUID and CAP_SETGID (bwrap-root keeps no other
capability), hardened (common.harden), under the sandbox's seccomp filter. Programs run at the slot
uid, so they can neither signal it nor read it. For each job (a JSON header and the job's pipe fds,
over SCM_RIGHTS on its control socket) it forks a child that keeps only the job's fds, drops to the
slot uid, sets its limits and runs the job: a program's source, or a trusted program (compiled once
and kept). When the child has exited, cleanup.settle kills and reaps every remaining process of the
uid and empties /tmp; then the zygote reports the child's wait status and whether the sandbox is
clean. Nothing of one job is visible to the next. The zygote itself never reads a job's data.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import socket
import sys
import traceback

from . import cleanup, common, loader

TYPE_CHECKING = False  # `typing` is not imported at run time: every sandboxed process starts here
if TYPE_CHECKING:
    from types import CodeType
    from typing import Any, NoReturn

    Trusted = tuple[str, dict[str, str] | dict[str, CodeType]]  # (entry module, files)

CACHED_PROGRAMS = 8  # trusted programs kept compiled


def main(header: dict[str, Any]) -> None:
    uid = header["uid"]
    if os.getuid() != 0 or os.geteuid() != 0 or uid == 0:
        sys.stderr.write("the zygote needs root inside its sandbox (bwrap-root)\n")
        sys.exit(120)
    common.harden()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (header["fsize"], header["fsize"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (header["nofile"], header["nofile"]))
    for name in header["preload"]:  # the runner's and common programs' imports, loaded once
        with contextlib.suppress(ImportError):
            __import__(name)
    ctl = socket.socket(fileno=header["ctl"])
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.chdir("/tmp")
    serve(ctl, uid, header["nproc"])


def serve(ctl: socket.socket, uid: int, nproc: int) -> NoReturn:
    """Take jobs until the control socket closes; one forked child each, then a report."""
    cache: dict[Any, dict[str, CodeType]] = {}
    ctl.send(b"ready")
    while True:
        msg, fds, flags, _ = socket.recv_fds(ctl, 1 << 18, 32)
        if not msg:
            os._exit(0)
        job = json.loads(msg)
        if flags & (socket.MSG_CTRUNC | socket.MSG_TRUNC) or len(fds) != len(job["fds"]):
            os._exit(122)  # fds or header lost: never run a job on the wrong pipes
        program = trusted(job.get("program"), cache)
        job_id = job.get("id")
        pid = os.fork()
        if pid == 0:
            job_child(job, fds, program, uid, nproc)
        for fd in fds:
            os.close(fd)
        del job, fds, msg, program
        while True:
            got, status = os.waitpid(-1, 0)
            if got == pid:
                break
        clean = cleanup.settle(uid)
        ctl.send(json.dumps({"id": job_id, "status": status, "clean": clean}).encode())


def trusted(program: dict[str, Any] | None, cache: dict[Any, dict[str, CodeType]]) -> Trusted | None:
    """A job's trusted program as (entry, files), its files compiled once while the cache has room."""
    if program is None:
        return None
    files = program["modules"]
    key = (program["main"], tuple(sorted(files.items())))
    codes = cache.get(key)
    if codes is None and len(cache) < CACHED_PROGRAMS:
        try:
            codes = cache[key] = loader.compiled(files)
        except Exception:
            codes = None  # the child compiles it again, and reports the error
    return program["main"], files if codes is None else codes


def job_child(job: dict[str, Any], fds: list[int], program: Trusted | None, uid: int, nproc: int) -> NoReturn:
    """The sandboxed process of one job: its pipes only, the slot uid, the job's limits."""
    rc = 1
    try:
        named = {name: fds[i] for name, i in job["fds"].items()}
        for target, name in enumerate(("__stdin__", "__stdout__", "__stderr__")):
            os.dup2(named.pop(name), target)
        common.close_all_but(set(named.values()))
        common.drop_to(uid)
        common.prctl(common.PR_SET_CHILD_SUBREAPER, 1)
        for limit, value in ((resource.RLIMIT_NPROC, nproc), (resource.RLIMIT_AS, job["as"])):
            resource.setrlimit(limit, (value, value))
        resource.setrlimit(resource.RLIMIT_CPU, (job["cpu"], job["cpu"] + 1))
        code = None
        if program is None:
            code = compile(common.read_all(named.pop("__source__")), "<program>", "exec")
        sys.argv = ["<sandboxed>", json.dumps({"uid": uid, "nproc": nproc, "fds": named})]
        del job, fds, named
        rc = run(code, program)
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):
                stream.flush()
        os._exit(rc)


def run(code: CodeType | None, program: Trusted | None) -> int:
    """Run the job; the status an interpreter would exit with."""
    try:
        if program is not None:
            loader.run(program[1], program[0])
        elif code is not None:
            common.exec_main(code)
        return 0
    except SystemExit as exc:
        return common.exit_code(exc)
    except BaseException:
        traceback.print_exc()
        return 1
