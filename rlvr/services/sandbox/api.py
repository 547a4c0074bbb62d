"""Runs one Python program in the sandbox, in layers, and says which layers it has: a program's
source (`run_python`) or a trusted program of the service's (`run_program`, programs.py).

Layers (`detect().layers`):
- `bwrap`, `fs`, `netns`, `pidns`: bubblewrap (bwrap.py) gives the program new namespaces: a
  network with only its own loopback, a pid namespace, and a file system that is a tmpfs root with
  the interpreter, its standard library and the libraries they load bound read-only (hostfs.py),
  and nothing else of the host.
- `tmpfs`: the only writable place is /tmp, a 64 MiB tmpfs; files are capped at 16 MiB.
- `uid`: a uid of its own per worker slot (slots.py), never root. Needs a root service.
- `rlimits`: CPU, address space, file size, open files, processes, no core files.
- `seccomp`: seccomp.py's filter (no sockets but AF_UNIX, no namespaces, mounts, ptrace, bpf...).
- `userns`: bwrap made a user namespace (a non-root service; there is then no `uid` layer).
The minimum is uid + rlimits + seccomp (`plain` mode, e.g. a container that refuses namespaces:
no fs or net namespace; the network is refused by seccomp). Fewer: `SandboxUnavailable`.

How a run starts (`detect().zygote`): in bwrap-root mode each worker keeps one long-lived sandbox,
the zygote (zygote.py), that forks a fresh process per run and leaves no process or file of it
behind; otherwise (and for `fresh=True`) every run starts its own sandbox (oneshot.py).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Mapping
from dataclasses import replace

from rlvr.services.sandbox import oneshot, seccomp, zygote
from rlvr.services.sandbox.capabilities import NAMESPACE_LAYERS, REQUIRED, Capabilities, SandboxUnavailable
from rlvr.services.sandbox.pipes import SandboxResult
from rlvr.services.sandbox.programs import Program
from rlvr.services.sandbox.settings import Mode, sandbox_settings
from rlvr.services.sandbox.slots import claim_slot, slot_uid

__all__ = ["detect", "require", "run_program", "run_python", "warm_up"]

log = logging.getLogger(__name__)

_probe_lock = threading.Lock()
_caps: Capabilities | None = None


def detect() -> Capabilities:
    """Which layers work here: probed once per process by running a sandboxed program."""
    global _caps
    with _probe_lock:
        if _caps is None:
            _caps = _probe(sandbox_settings().sandbox_mode)
            layers = ",".join(_caps.layers) or "none"
            log.info("code sandbox: mode %s, layers %s, zygote %s", _caps.mode, layers, _caps.zygote)
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
            layers += [*NAMESPACE_LAYERS] + (["userns"] if mode == "bwrap-userns" else [])
        caps = Capabilities(tuple(sorted(layers)), mode, tuple(problems))
        try:
            result = _run(caps, "import sys; sys.stdout.write('ok')", wall_s=20, memory_mb=256)
        except Exception as exc:
            problems.append(f"{mode}: {exc}")
            continue
        if _probe_ok(result, problems, mode):
            return _probe_zygote(caps, problems) if mode == "bwrap-root" else caps
    return Capabilities((), "none", tuple(problems))


def _probe_ok(result: SandboxResult, problems: list[str], what: str) -> bool:
    if result.exit_status == 0 and result.stdout == b"ok":
        return True
    stderr = result.stderr_tail.decode(errors="replace").strip()[-300:]
    problems.append(f"{what}: probe exited {result.exit_status}: {stderr}")
    return False


def _probe_zygote(caps: Capabilities, problems: list[str]) -> Capabilities:
    """`caps` with the zygote when it works here (and is not turned off), else one sandbox per run."""
    if not sandbox_settings().zygote:
        return caps
    with_zygote = replace(caps, zygote=True)
    try:
        result = _run(with_zygote, "import sys; sys.stdout.write('ok')", wall_s=20, memory_mb=256)
        works = _probe_ok(result, problems, "zygote")
    except Exception as exc:
        works = False
        problems.append(f"zygote: {exc}")
    zygote.stop()  # started where runs happen (warm_up), not in every process that asks for the layers
    return replace(with_zygote if works else caps, problems=tuple(problems))


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


def warm_up() -> Capabilities:
    """`require()`, claim this process's uid slot, and start its zygote (if any) now rather than on
    the first run. Its bubblewrap dies with the thread that starts it: call this from the thread
    that runs programs."""
    caps = require()
    claim_slot()
    if caps.zygote:
        _run(caps, "pass", wall_s=20, memory_mb=256)
    return caps


def run_python(
    source: str,
    *,
    inputs: Mapping[str, bytes] | None = None,
    outputs: Mapping[str, int] | None = None,
    wall_s: float = 10.0,
    memory_mb: int = 512,
    fresh: bool = False,
) -> SandboxResult:
    """Run a program's `source` in the sandbox. `inputs` are pipes it can read (name -> data),
    `outputs` pipes it can write (name -> cap in bytes); their fds are in
    `json.loads(sys.argv[1])["fds"]`. `fresh`: a sandbox of its own even where a zygote runs."""
    return _run(require(), source, inputs=inputs, outputs=outputs, wall_s=wall_s, memory_mb=memory_mb,
                fresh=fresh)  # fmt: skip


def run_program(
    program: Program,
    *,
    inputs: Mapping[str, bytes] | None = None,
    outputs: Mapping[str, int] | None = None,
    wall_s: float = 10.0,
    memory_mb: int = 512,
) -> SandboxResult:
    """Run a trusted `program` (the service's own code, e.g. the code verifier's runner, never a
    model's) in the sandbox, as `run_python` runs a source; a zygote compiles it once and keeps it."""
    return _run(require(), program, inputs=inputs, outputs=outputs, wall_s=wall_s, memory_mb=memory_mb)


def _run(
    caps: Capabilities,
    job: str | Program,
    *,
    inputs: Mapping[str, bytes] | None = None,
    outputs: Mapping[str, int] | None = None,
    wall_s: float,
    memory_mb: int,
    fresh: bool = False,
) -> SandboxResult:
    uid = slot_uid() if os.geteuid() == 0 else os.getuid()
    inputs, outputs = inputs or {}, outputs or {}
    if caps.zygote and not fresh:
        return zygote.run(caps.layers, uid, job, inputs=inputs, outputs=outputs, wall_s=wall_s, memory_mb=memory_mb)
    return oneshot.run(caps, uid, job, inputs=inputs, outputs=outputs, wall_s=wall_s, memory_mb=memory_mb)
