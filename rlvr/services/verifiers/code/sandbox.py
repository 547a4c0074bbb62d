"""Runs one Python program in the sandbox, in layers, and says which layers it has.

Layers (`detect().layers`):
- `bwrap`, `fs`, `netns`, `pidns`: bubblewrap (bwrap.py) gives the program new namespaces: a
  network with only its own loopback, a pid namespace that dies with it, and a file system that is
  a tmpfs root with the interpreter bound read-only and nothing else of the host.
- `tmpfs`: the only writable place is /tmp, a 64 MiB tmpfs; files are capped at 16 MiB.
- `uid`: a uid of its own per worker slot (slots.py), never root. Needs a root service.
- `rlimits`: CPU, address space, file size, open files, processes, no core files.
- `seccomp`: seccomp.py's filter (no sockets but AF_UNIX, no namespaces, mounts, ptrace, bpf...).
- `userns`: bwrap made a user namespace (a non-root service; there is then no `uid` layer).
The minimum is uid + rlimits + seccomp (`plain` mode, e.g. a container that refuses namespaces:
no fs or net namespace; the network is refused by seccomp). Fewer: `SandboxUnavailable`.

Every program starts in a small trusted bootstrap that drops to the slot uid, sets no_new_privs,
makes itself non-dumpable (same-uid processes cannot read its memory or fds through /proc), sets
the process limit and runs the source it reads from a pipe. The environment is cleared; at the
wall deadline the process group (with bwrap: the whole pid namespace) is killed and reaped, and
after any abnormal run every process of the slot's uid is killed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rlvr.services.verifiers.code import bwrap, seccomp
from rlvr.services.verifiers.code.config import Mode, sandbox_settings
from rlvr.services.verifiers.code.pipes import pump
from rlvr.services.verifiers.code.slots import SandboxUnavailable, kill_uid, slot_uid

__all__ = ["REQUIRED", "Capabilities", "SandboxResult", "SandboxUnavailable", "detect", "require", "run_python"]

log = logging.getLogger(__name__)

MIB = 1024 * 1024
OUTPUT_CAP = 1 * MIB
STDERR_TAIL = 8 * 1024
FILE_SIZE_LIMIT = 16 * MIB
OPEN_FILES = 64
PROCESSES = 32  # per uid, threads included
REQUIRED = ("uid", "rlimits", "seccomp")

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


@dataclass(slots=True)
class SandboxResult:
    exit_status: int | None  # negative: killed by that signal
    stdout: bytes
    stderr_tail: bytes
    timed_out: bool
    output_limit: bool
    memory_limit: bool
    wall_s: float
    outputs: dict[str, bytes] = field(default_factory=dict)  # the extra output pipes, capped


@dataclass(frozen=True, slots=True)
class Capabilities:
    layers: tuple[str, ...]
    mode: str  # bwrap-root, bwrap-userns, plain, or none
    problems: tuple[str, ...] = ()


_probe_lock = threading.Lock()
_caps: Capabilities | None = None
_dirty = True  # this slot's uid may still own processes from a previous holder (a killed worker)


def detect() -> Capabilities:
    """Which layers work here: probed once per process by running a sandboxed program."""
    global _caps
    with _probe_lock:
        if _caps is None:
            _caps = _probe(sandbox_settings().sandbox_mode)
            log.info("code sandbox: mode %s, layers %s", _caps.mode, ",".join(_caps.layers) or "none")
        return _caps


def _probe(wanted: Mode) -> Capabilities:
    problems: list[str] = []
    try:
        seccomp.export_program()
        has_seccomp = True
    except Exception as exc:  # pyseccomp or libseccomp2 missing
        has_seccomp = False
        problems.append(f"seccomp: {exc} (pip install pyseccomp; apt-get install libseccomp2)")
    root = os.geteuid() == 0
    modes = ["bwrap-root" if root else "bwrap-userns", "plain"] if wanted == "auto" else [wanted]
    for mode in modes:
        layers = ["rlimits"] + (["uid"] if root else []) + (["seccomp"] if has_seccomp else [])
        if mode.startswith("bwrap"):
            if not shutil.which("bwrap"):
                problems.append("bwrap: not installed (apt-get install bubblewrap)")
                continue
            layers += ["bwrap", "netns", "pidns", "fs", "tmpfs"] + (["userns"] if mode == "bwrap-userns" else [])
        caps = Capabilities(tuple(sorted(layers)), mode, tuple(problems))
        try:
            result = _run(caps, "import sys; sys.stdout.write('ok')", wall_s=20, memory_mb=256)
        except Exception as exc:
            problems.append(f"{mode}: {exc}")
            continue
        if result.exit_status == 0 and result.stdout == b"ok":
            return caps
        stderr = result.stderr_tail.decode(errors="replace").strip()[-300:]
        problems.append(f"{mode}: probe exited {result.exit_status}: {stderr}")
    return Capabilities((), "none", tuple(problems))


def require() -> Capabilities:
    """The capabilities, or SandboxUnavailable when fewer than uid + rlimits + seccomp work."""
    caps = detect()
    missing = [layer for layer in REQUIRED if layer not in caps.layers]
    if missing or caps.mode == "none":
        raise SandboxUnavailable(
            f"code sandbox unavailable: missing layers {missing} (have {list(caps.layers)}); "
            + "; ".join(caps.problems)
        )
    return caps


def run_python(
    source: str,
    *,
    inputs: Mapping[str, bytes] | None = None,
    outputs: Mapping[str, int] | None = None,
    wall_s: float = 10.0,
    memory_mb: int = 512,
) -> SandboxResult:
    """Run `source` in the sandbox. `inputs` are pipes it can read (name -> data), `outputs` pipes
    it can write (name -> cap in bytes); their fds are in `json.loads(sys.argv[1])["fds"]`."""
    return _run(require(), source, inputs=inputs, outputs=outputs, wall_s=wall_s, memory_mb=memory_mb)


def _run(
    caps: Capabilities,
    source: str,
    *,
    inputs: Mapping[str, bytes] | None = None,
    outputs: Mapping[str, int] | None = None,
    wall_s: float,
    memory_mb: int,
) -> SandboxResult:
    global _dirty
    root = os.geteuid() == 0
    uid = slot_uid() if root else os.getuid()
    writers: dict[int, bytes] = {}
    readers: dict[int, tuple[str, int]] = {}
    child_ends: list[int] = []
    child_fds: dict[str, int] = {}
    for name, data in {"__stdin__": b"", "__source__": source.encode(), **(inputs or {})}.items():
        r, w = os.pipe()
        writers[w], child_fds[name] = data, r
        child_ends.append(r)
    for name, cap in {"__stdout__": OUTPUT_CAP, "__stderr__": -STDERR_TAIL, **(outputs or {})}.items():
        r, w = os.pipe()
        readers[r], child_fds[name] = (name, cap), w
        child_ends.append(w)
    stdin, stdout, stderr = (child_fds.pop(n) for n in ("__stdin__", "__stdout__", "__stderr__"))
    header = {"uid": uid, "nproc": PROCESSES, "fds": child_fds}
    argv = [bwrap.interpreter(), "-I", "-S", "-B", "-c", BOOTSTRAP, json.dumps(header)]
    env: dict[str, str] = {}
    tmpdir = None
    seccomp_filter: Any = None
    if caps.mode.startswith("bwrap"):
        seccomp_fd = None
        if "seccomp" in caps.layers:
            seccomp_fd = seccomp.memfd(seccomp.export_program(), "rlvr-seccomp")
            child_ends.append(seccomp_fd)
        argv = bwrap.command(caps.mode == "bwrap-root", seccomp_fd) + argv
        cwd = "/"
    else:  # plain: no namespaces; a private tmp dir, the slot uid and seccomp set before exec
        tmpdir = tempfile.mkdtemp(prefix="rlvr-code-")
        if root:
            os.chown(tmpdir, uid, uid)
        env = {**bwrap.ENV, "HOME": tmpdir, "TMPDIR": tmpdir}
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

    if root and "uid" in caps.layers and _dirty:
        kill_uid(uid)  # leftovers of a previous holder of this slot
        _dirty = False
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            env=env,
            cwd=cwd,
            pass_fds=[fd for fd in child_ends if fd not in (stdin, stdout, stderr)],
            preexec_fn=preexec,
            start_new_session=True,
        )
    except BaseException:
        for fd in [*child_ends, *writers, *readers]:
            os.close(fd)
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    for fd in child_ends:
        os.close(fd)
    try:
        pumped = pump(proc, writers, readers, started + wall_s)
    finally:
        _kill_group(proc)
        for fd in readers:
            os.close(fd)
        abnormal = proc.returncode != 0
        if root and "uid" in caps.layers and (caps.mode == "plain" or abnormal):
            # With bwrap a clean exit took the pid namespace with it; otherwise sweep the uid.
            kill_uid(uid)
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    got = pumped.got
    stderr_tail = bytes(got.pop("__stderr__"))
    return SandboxResult(
        exit_status=proc.returncode,
        stdout=bytes(got.pop("__stdout__")),
        stderr_tail=stderr_tail,
        timed_out=pumped.timed_out,
        output_limit=bool(pumped.over),
        memory_limit=b"MemoryError" in stderr_tail[-2000:],
        wall_s=time.monotonic() - started,
        outputs={name: bytes(buf) for name, buf in got.items()},
    )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the sandbox's process group (bwrap and, through its pid namespace, all inside); reap."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    proc.wait()
