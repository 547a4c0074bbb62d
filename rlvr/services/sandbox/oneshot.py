"""One sandbox process per run: bubblewrap (or, in `plain` mode, only the uid, rlimits and seccomp)
started afresh for one program, which dies with it. Used where no zygote runs (zygote.py): plain
and bwrap-userns modes, and a run that asks for a fresh sandbox.

The program starts in a small trusted bootstrap that drops to the slot uid, sets no_new_privs,
makes itself non-dumpable (same-uid processes cannot read its memory or fds through /proc), sets
the process limit and runs the source it reads from a pipe. The environment is cleared; at the
wall deadline the process group (with bwrap: the whole pid namespace) is killed and reaped, and
after any abnormal run every process of the slot's uid is killed.
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
from collections.abc import Mapping
from typing import Any

from rlvr.services.sandbox import bwrap, seccomp
from rlvr.services.sandbox.capabilities import Capabilities
from rlvr.services.sandbox.limits import ENV, EXIT_GRACE_S, FILE_SIZE_LIMIT, MIB, OPEN_FILES, PROCESSES
from rlvr.services.sandbox.pipes import Pipes, SandboxResult, pump
from rlvr.services.sandbox.slots import kill_uid, sweep_once

BOOTSTRAP = r"""
import os, sys, json, resource, ctypes
h = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
if os.getuid() == 0 or os.geteuid() == 0:
    os.setgroups([]); os.setgid(h["uid"]); os.setuid(h["uid"])
    if os.getuid() == 0 or os.geteuid() == 0:
        os._exit(121)
libc.prctl(38, 1, 0, 0, 0)   # PR_SET_NO_NEW_PRIVS
libc.prctl(4, 0, 0, 0, 0)    # PR_SET_DUMPABLE 0: same-uid processes cannot open /proc/<pid>/{mem,fd}
libc.prctl(36, 1, 0, 0, 0)   # PR_SET_CHILD_SUBREAPER: orphans come back to this process
resource.setrlimit(resource.RLIMIT_NPROC, (h["nproc"], h["nproc"]))
fd = h["fds"].pop("__source__")
parts = []
while True:
    part = os.read(fd, 1 << 16)
    if not part:
        break
    parts.append(part)
os.close(fd)
sys.argv = ["<sandboxed>", json.dumps(h)]
code = compile(b"".join(parts), "<program>", "exec")
del h, libc, fd, parts, part
exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
"""


def run(
    caps: Capabilities,
    uid: int,
    source: str,
    *,
    inputs: Mapping[str, bytes],
    outputs: Mapping[str, int],
    wall_s: float,
    memory_mb: int,
) -> SandboxResult:
    root = os.geteuid() == 0
    pipes = Pipes.make({"__source__": source.encode(), **inputs}, outputs)
    child_fds = dict(pipes.child_fds)
    stdin, stdout, stderr = (child_fds.pop(n) for n in ("__stdin__", "__stdout__", "__stderr__"))
    header = {"uid": uid, "nproc": PROCESSES, "fds": child_fds}
    argv = [bwrap.interpreter(), "-I", "-S", "-B", "-c", BOOTSTRAP, json.dumps(header)]
    env: dict[str, str] = {}
    tmpdir = None
    seccomp_filter: Any = None
    extra_fds: list[int] = []
    if caps.mode.startswith("bwrap"):
        seccomp_fd = None
        if "seccomp" in caps.layers:
            seccomp_fd = seccomp.memfd(seccomp.export_program(), "rlvr-seccomp")
            extra_fds.append(seccomp_fd)
        argv = bwrap.command(caps.mode == "bwrap-root", seccomp_fd) + argv
        cwd = "/"
    else:  # plain: no namespaces; a private tmp dir, the slot uid and seccomp set before exec
        tmpdir = tempfile.mkdtemp(prefix="rlvr-code-")
        if root:
            os.chown(tmpdir, uid, uid)
        env = {**ENV, "HOME": tmpdir, "TMPDIR": tmpdir}
        cwd = tmpdir
        if "seccomp" in caps.layers:
            seccomp_filter = seccomp.build()  # built before fork: preexec only loads it
    cpu = int(wall_s) + 1

    def preexec() -> None:  # in the child, between fork and exec
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
            if seccomp_filter is not None:
                seccomp_filter.load()

    if root and "uid" in caps.layers:
        sweep_once(uid)
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            env=env,
            cwd=cwd,
            pass_fds=[fd for fd in [*child_fds.values(), *extra_fds]],
            preexec_fn=preexec,
            start_new_session=True,
        )
    except BaseException:
        pipes.close_all()
        for fd in extra_fds:
            os.close(fd)
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    pipes.close_child_ends()
    for fd in extra_fds:
        os.close(fd)
    done_fd = _exit_fd(proc)
    try:
        pumped = pump(done_fd, pipes, started + wall_s, grace_s=EXIT_GRACE_S)
    finally:
        os.close(done_fd)
        _kill_group(proc)
        pipes.close_all()
        abnormal = proc.returncode != 0
        if root and "uid" in caps.layers and (caps.mode == "plain" or abnormal):
            # With bwrap a clean exit took the pid namespace with it; otherwise sweep the uid.
            kill_uid(uid)
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
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
