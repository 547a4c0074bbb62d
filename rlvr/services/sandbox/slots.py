"""uid slots: each worker process runs its sandboxes as a uid of its own (uid_base + slot).

A slot is claimed with `flock` on a lock file held for the process's life, so the kernel frees it
when a killed worker dies. RLIMIT_NPROC counts per uid (and never for root): a uid per slot keeps
one sandbox's fork bomb from exhausting another's process budget, and lets every leftover process
of a sandbox be found and killed by uid.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import threading
import time
from pathlib import Path

from rlvr.services.sandbox.capabilities import SandboxUnavailable
from rlvr.services.sandbox.settings import sandbox_settings

_lock = threading.Lock()
_slot: tuple[int, int] | None = None  # (slot, fd holding its lock)


def claim_slot() -> int:
    """This process's slot (0..uid_slots-1), claimed once; freed when the process dies."""
    global _slot
    settings = sandbox_settings()
    with _lock:
        if _slot is not None:
            return _slot[0]
        directory = settings.slot_path()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        for slot in range(settings.uid_slots):
            fd = os.open(directory / f"slot-{slot}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            _slot = (slot, fd)
            return slot
    raise SandboxUnavailable(
        f"all {settings.uid_slots} sandbox uid slots in {directory} are taken (RLVR_CODE_UID_SLOTS)"
    )


def slot_uid() -> int:
    return sandbox_settings().uid_base + claim_slot()


_dirty_lock = threading.Lock()
_dirty = True  # this slot's uid may still own processes from a previous holder (a killed worker)


def sweep_once(uid: int) -> None:
    """Before the first sandbox of this process: kill what a previous holder of the slot left."""
    global _dirty
    with _dirty_lock:
        if _dirty:
            kill_uid(uid)
            _dirty = False


def processes_of(*uids: int) -> list[int]:
    """Pids of live processes whose real uid is one of `uids` (zombies excluded)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("State", "").strip().startswith("Z"):
            continue
        if int(fields.get("Uid", "-1").split()[0]) in uids:
            pids.append(int(entry))
    return pids


def kill_uid(uid: int, rounds: int = 50) -> int:
    """SIGKILL every process of `uid` until none is left (a fork bomb may race the first rounds)."""
    if uid == 0 or uid == os.getuid():
        raise ValueError("refusing to kill the service's own uid")
    killed = 0
    for _ in range(rounds):
        pids = processes_of(uid)
        if not pids:
            return killed
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        time.sleep(0.002)
    return killed
