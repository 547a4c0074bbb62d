"""The bubblewrap command line: what the sandbox sees of the host (the interpreter, read-only, and
nothing else) and which namespaces it gets (pid, net, ipc, uts, cgroup; mount always).

As root bwrap runs privileged with no user namespace, keeping only CAP_SETUID/CAP_SETGID so the
bootstrap can drop to the slot uid (a user namespace would map the sandbox to kuid 0, which
RLIMIT_NPROC exempts). Otherwise it makes a user namespace and the sandbox has no uid of its own.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

from rlvr.services.sandbox.limits import ENV, TMP_SIZE


def interpreter() -> str:
    return os.path.realpath(sys.executable)


def _ro_paths() -> list[str]:
    """Host paths bound read-only: the system libraries and the interpreter's prefix."""
    exe = interpreter()
    prefix = os.path.realpath(sys.base_prefix)
    paths = ["/usr/lib"]
    for lib in ("/usr/lib64", "/lib", "/lib64", "/lib32"):
        if os.path.isdir(lib) and not os.path.islink(lib):
            paths.append(lib)
    if not any(prefix == p or prefix.startswith(p + "/") for p in paths):
        paths.append(prefix)
    if not any(exe.startswith(p + "/") for p in paths):
        paths.append(exe)
    return paths


def _hidden_paths(bound: list[str]) -> list[str]:
    """The interpreter's package directories (the service's libraries), hidden under empty tmpfs."""
    base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}
    hidden = {os.path.realpath(sysconfig.get_path(key, vars=base)) for key in ("purelib", "platlib")}
    return sorted(p for p in hidden if os.path.isdir(p) and any(p.startswith(b + "/") for b in bound))


def command(privileged: bool, seccomp_fd: int | None) -> list[str]:
    """bwrap and its options, up to (not including) the command it runs."""
    args = [shutil.which("bwrap") or "bwrap"]
    args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    args += ["--die-with-parent", "--new-session"]
    if privileged:
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-user", "--disable-userns"]
    bound = _ro_paths()
    made = {"/"}
    for path in bound:
        parts = Path(path).parts
        for i in range(2, len(parts)):  # parents world-traversable: the host's /root is 0700
            parent = str(Path(*parts[:i]))
            if parent not in made:
                made.add(parent)
                args += ["--perms", "0755", "--dir", parent]
        args += ["--ro-bind", path, path]
    for lib in ("/lib", "/lib64", "/lib32"):
        if os.path.islink(lib):
            args += ["--symlink", os.readlink(lib), lib]
    for hidden in _hidden_paths(bound):
        args += ["--tmpfs", hidden, "--remount-ro", hidden]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(TMP_SIZE), "--perms", "1777", "--tmpfs", "/tmp", "--chdir", "/tmp", "--clearenv"]
    for key, value in ENV.items():
        args += ["--setenv", key, value]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    return args
