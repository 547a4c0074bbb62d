"""One sandbox process per run: bubblewrap (or, in `plain` mode, only the uid, rlimits and seccomp)
started afresh for one program, which dies with it. Used where no zygote runs (zygote.py): plain
and bwrap-userns modes, and a run that asks for a fresh sandbox.

The program starts in a small trusted bootstrap (inside/bootstrap.py) that drops to the slot uid,
sets no_new_privs, makes itself non-dumpable (same-uid processes cannot read its memory or fds
through /proc), sets the process limit and runs the job it reads from a pipe: a program's source or
a trusted program. The environment is cleared; at the wall deadline the process group (with bwrap:
the whole pid namespace) is killed and reaped, and after any abnormal run every process of the
slot's uid is killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rlvr.services.sandbox import bwrap, seccomp
from rlvr.services.sandbox.capabilities import Capabilities
from rlvr.services.sandbox.limits import ENV, EXIT_GRACE_S, FILE_SIZE_LIMIT, MIB, OPEN_FILES, PROCESSES
from rlvr.services.sandbox.pipes import Pipes, SandboxResult, pump
from rlvr.services.sandbox.programs import Program, boot_command
from rlvr.services.sandbox.slots import kill_uid, sweep_once


@dataclass(slots=True)
class Launch:
    """How one sandbox starts: its command line, environment, directory and what it inherits."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = "/"
    tmpdir: str | None = None  # plain mode's private tmp dir, removed after the run
    extra_fds: list[int] = field(default_factory=list)  # closed once the sandbox has them
    seccomp_filter: Any = None  # plain mode: loaded by the child before exec

    def release(self) -> None:
        for fd in self.extra_fds:
            os.close(fd)
        self.extra_fds.clear()


def _launch(caps: Capabilities, uid: int, header: dict[str, Any]) -> Launch:
    argv = boot_command(bwrap.interpreter(), "bootstrap", header)
    if caps.mode.startswith("bwrap"):
        launch = Launch(argv)
        seccomp_fd = None
        if "seccomp" in caps.layers:
            seccomp_fd = seccomp.memfd(seccomp.export_program(), "rlvr-seccomp")
            launch.extra_fds.append(seccomp_fd)
        launch.argv = bwrap.command(caps.mode == "bwrap-root", seccomp_fd) + argv
        return launch
    # plain: no namespaces; a private tmp dir, the slot uid and seccomp set before exec
    tmpdir = tempfile.mkdtemp(prefix="rlvr-code-")
    if os.geteuid() == 0:
        os.chown(tmpdir, uid, uid)
    launch = Launch(argv, env={**ENV, "HOME": tmpdir, "TMPDIR": tmpdir}, cwd=tmpdir, tmpdir=tmpdir)
    if "seccomp" in caps.layers:
        launch.seccomp_filter = seccomp.build()  # built before fork: the child only loads it
    return launch


def _preexec(caps: Capabilities, uid: int, launch: Launch, wall_s: float, memory_mb: int) -> Callable[[], None]:
    """What the child does between fork and exec: the limits; in plain mode the uid and seccomp."""
    root = os.geteuid() == 0
    cpu = int(wall_s) + 1

    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
        resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * MIB, memory_mb * MIB))
        if caps.mode == "plain":
            if root:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
            if launch.seccomp_filter is not None:
                launch.seccomp_filter.load()

    return preexec


def run(
    caps: Capabilities,
    uid: int,
    job: str | Program,
    *,
    inputs: Mapping[str, bytes],
    outputs: Mapping[str, int],
    wall_s: float,
    memory_mb: int,
) -> SandboxResult:
    """Run `job` (a program's source, or a trusted program) in a sandbox of its own."""
    root = os.geteuid() == 0
    if isinstance(job, Program):
        job_input = {"__program__": json.dumps(job.as_json()).encode()}
    else:
        job_input = {"__source__": job.encode()}
    pipes = Pipes.make({**job_input, **inputs}, outputs)
    child_fds = dict(pipes.child_fds)
    stdin, stdout, stderr = (child_fds.pop(n) for n in ("__stdin__", "__stdout__", "__stderr__"))
    if root and "uid" in caps.layers:
        sweep_once(uid)
    started = time.monotonic()
    launch = None
    try:
        launch = _launch(caps, uid, {"uid": uid, "nproc": PROCESSES, "fds": child_fds})
        proc = subprocess.Popen(
            launch.argv,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            env=launch.env,
            cwd=launch.cwd,
            pass_fds=[*child_fds.values(), *launch.extra_fds],
            preexec_fn=_preexec(caps, uid, launch, wall_s, memory_mb),
            start_new_session=True,
        )
    except BaseException:
        pipes.close_all()
        if launch is not None:
            launch.release()
            if launch.tmpdir:
                shutil.rmtree(launch.tmpdir, ignore_errors=True)
        raise
    pipes.close_child_ends()
    launch.release()
    return _finish(proc, pipes, launch, caps, uid, started, wall_s)


def _finish(
    proc: subprocess.Popen[bytes],
    pipes: Pipes,
    launch: Launch,
    caps: Capabilities,
    uid: int,
    started: float,
    wall_s: float,
) -> SandboxResult:
    """Pump the run's pipes until it ends or its deadline passes; kill, reap and clean up after it."""
    done_fd = _exit_fd(proc)
    try:
        pumped = pump(done_fd, pipes, started + wall_s, grace_s=EXIT_GRACE_S)
    finally:
        os.close(done_fd)
        _kill_group(proc)
        pipes.close_all()
        abnormal = proc.returncode != 0
        if os.geteuid() == 0 and "uid" in caps.layers and (caps.mode == "plain" or abnormal):
            # With bwrap a clean exit took the pid namespace with it; otherwise sweep the uid.
            kill_uid(uid)
        if launch.tmpdir:
            shutil.rmtree(launch.tmpdir, ignore_errors=True)
    return pumped.result(proc.returncode, time.monotonic() - started)


def _exit_fd(proc: subprocess.Popen[bytes]) -> int:
    """An fd that becomes readable when `proc` exits: its pidfd, or a pipe a thread closes."""
    try:
        return os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        r, w = os.pipe()

        def wait() -> None:
            with contextlib.suppress(Exception):
                proc.wait()
            os.close(w)

        threading.Thread(target=wait, daemon=True).start()
        return r


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the sandbox's process group (bwrap and, through its pid namespace, all inside); reap."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    proc.wait()
