"""The bubblewrap command line: what the sandbox sees of the host (hostfs.py: the interpreter, its
standard library and the libraries they load, read-only, and nothing else) and which namespaces it
gets (pid, net, ipc, uts, cgroup; mount always).

As root bwrap runs privileged with no user namespace, keeping only CAP_SETUID/CAP_SETGID so the
bootstrap can drop to the slot uid (a user namespace would map the sandbox to kuid 0, which
RLIMIT_NPROC exempts). Otherwise it makes a user namespace and the sandbox has no uid of its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from rlvr.services.sandbox.hostfs import host_view, interpreter
from rlvr.services.sandbox.limits import ENV, TMP_SIZE

__all__ = ["command", "interpreter"]


def _parents(paths: list[str]) -> list[str]:
    """Every directory above `paths` (not /), made world-traversable: the host's /root is 0700."""
    made: list[str] = []
    for path in paths:
        parts = Path(path).parts
        for i in range(2, len(parts)):
            parent = str(Path(*parts[:i]))
            if parent not in made:
                made.append(parent)
    return made


def command(privileged: bool, seccomp_fd: int | None) -> list[str]:
    """bwrap and its options, up to (not including) the command it runs."""
    args = [shutil.which("bwrap") or "bwrap"]
    args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    args += ["--die-with-parent", "--new-session"]
    if privileged:
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-user", "--disable-userns"]
    view = host_view()
    bound = [dest for _, dest in view.binds]
    for parent in _parents(bound):
        if parent not in bound:
            args += ["--perms", "0755", "--dir", parent]
    for source, dest in view.binds:
        args += ["--ro-bind", source, dest]
    for target, link in view.symlinks:
        args += ["--symlink", target, link]
    for hidden in view.hidden:
        args += ["--tmpfs", hidden, "--remount-ro", hidden]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(TMP_SIZE), "--perms", "1777", "--tmpfs", "/tmp", "--chdir", "/tmp", "--clearenv"]
    for key, value in ENV.items():
        args += ["--setenv", key, value]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    return args
