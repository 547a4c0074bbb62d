"""The seccomp filter of the sandbox (pyseccomp over libseccomp2): everything is allowed except
sockets other than AF_UNIX and the calls that reach outside a sandbox (namespaces, mounts, ptrace,
bpf, keyrings, kernel modules, io_uring, clocks, ...) or make objects that outlive the process
(System V IPC, message queues) or hold memory outside RLIMIT_AS (memfd), which fail with EPERM.

bwrap loads it from a memfd (`--seccomp FD`, `export_program`); without bwrap the child loads it
itself before exec (`load`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
from functools import cache
from typing import Any

DENIED_SYSCALLS = (
    *("unshare", "setns", "mount", "umount2", "pivot_root", "chroot"),
    *("move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr"),
    *("ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd"),
    *("bpf", "keyctl", "add_key", "request_key", "perf_event_open", "userfaultfd"),
    *("kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module"),
    *("open_by_handle_at", "name_to_handle_at", "io_uring_setup", "io_uring_enter", "io_uring_register"),
    *("swapon", "swapoff", "reboot", "acct", "settimeofday", "clock_settime", "adjtimex"),
    *("syslog", "personality", "quotactl", "lookup_dcookie", "vhangup"),
    # System V IPC and POSIX message queues: objects that outlive the process (a zygote's runs, or
    # the host's in plain mode)
    *("shmget", "semget", "msgget", "ipc", "mq_open", "memfd_create", "memfd_secret"),
)
# CLONE_NEWUSER, NEWNET, NEWPID, NEWIPC, NEWUTS, NEWNS, NEWCGROUP
CLONE_NS_FLAGS = (0x10000000, 0x40000000, 0x20000000, 0x08000000, 0x04000000, 0x00020000, 0x02000000)
TIOCSTI = 0x5412


def build() -> Any:
    """A fresh pyseccomp filter with the sandbox's rules (ImportError when pyseccomp is missing)."""
    import pyseccomp as sc

    f = sc.SyscallFilter(defaction=sc.ALLOW)
    eperm = sc.ERRNO(errno.EPERM)
    f.add_rule(eperm, "socket", sc.Arg(0, sc.NE, socket.AF_UNIX))
    f.add_rule(eperm, "socketpair", sc.Arg(0, sc.NE, socket.AF_UNIX))
    for name in DENIED_SYSCALLS:
        with contextlib.suppress(Exception):  # a syscall this kernel or architecture does not have
            f.add_rule(eperm, name)
    for flag in CLONE_NS_FLAGS:  # clone into a new namespace
        f.add_rule(eperm, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")  # its flags sit behind a pointer; glibc falls back to clone
    f.add_rule(eperm, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, TIOCSTI))  # typing into a terminal
    return f


@cache
def export_program() -> bytes:
    """The filter as BPF, built once per process."""
    fd = os.memfd_create("rlvr-seccomp", 0)
    try:
        with os.fdopen(os.dup(fd), "wb") as out:
            build().export_bpf(out)
        os.lseek(fd, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def memfd(data: bytes, name: str) -> int:
    """An inheritable memfd holding `data`, positioned at its start (for `bwrap --seccomp FD`)."""
    fd = os.memfd_create(name, 0)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
