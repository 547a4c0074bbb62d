"""A long-lived sandbox per worker process (bwrap-root mode): the zygote, which forks one fresh
sandboxed process per run instead of starting bubblewrap and an interpreter each time.

The zygote (inside/zygote.py) lives in the same bubblewrap namespaces, file system, seccomp filter
and rlimits a one-shot sandbox has; it is root inside with only CAP_SETUID and CAP_SETGID, and each
run's process drops to the worker's slot uid, so no program can signal, stop or read it. Per run
the parent makes fresh pipes, sends them over the control socket (SCM_RIGHTS) with the run's
limits, pumps them, and waits for the zygote's report: the run's wait status once every process of
the uid is dead and /tmp is empty again. No report by the run's wall deadline (a stopped runner, a
zygote that died), or a sandbox the zygote could not clean: the whole zygote (its pid namespace)
is killed, the slot's uid swept, and the next run starts a fresh one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping
from typing import Any

from rlvr.services.sandbox import bwrap, seccomp
from rlvr.services.sandbox.limits import FILE_SIZE_LIMIT, MIB, OPEN_FILES, PROCESSES
from rlvr.services.sandbox.pipes import Pipes, SandboxResult, pump
from rlvr.services.sandbox.programs import Program, boot_command
from rlvr.services.sandbox.slots import kill_uid, sweep_once

__all__ = ["ZygoteGone", "current_pid", "run", "stop"]

log = logging.getLogger(__name__)

START_TIMEOUT_S = 20.0
# Loaded once in the zygote: the runner's imports and those of common programs. Never `random`
# or anything importing it at import time (every run would share its seed; `random` reseeds after
# a fork anyway).
PRELOAD = (
    *("json", "time", "select", "marshal", "struct", "io", "threading", "typing", "math", "re"),
    *("collections", "itertools", "functools", "heapq", "string", "bisect", "operator", "copy"),
)


class ZygoteGone(RuntimeError):
    """The zygote could not take a run (it died between runs): start a fresh one and retry."""


class Zygote:
    def __init__(self, caps_layers: tuple[str, ...], uid: int) -> None:
        self.uid = uid
        self.owner = os.getpid()
        self.stopped = False
        self.ctl, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pass_fds = [child.fileno()]
        seccomp_fd = None
        if "seccomp" in caps_layers:
            seccomp_fd = seccomp.memfd(seccomp.export_program(), "rlvr-seccomp")
            pass_fds.append(seccomp_fd)
        header = {"uid": uid, "nproc": PROCESSES, "ctl": child.fileno(), "fsize": FILE_SIZE_LIMIT,
                  "nofile": OPEN_FILES, "preload": PRELOAD}  # fmt: skip
        argv = bwrap.command(True, seccomp_fd) + boot_command(bwrap.interpreter(), "zygote", header)
        self.err_r, err_w = os.pipe()  # the zygote's (and bwrap's) stderr: read if it fails to start
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err_w,
                env={},
                cwd="/",
                pass_fds=pass_fds,
                start_new_session=True,
            )
        except BaseException:
            self.ctl.close()
            os.close(self.err_r)
            raise
        finally:
            child.close()
            os.close(err_w)
            if seccomp_fd is not None:
                os.close(seccomp_fd)
        try:
            ready, _, _ = select.select([self.ctl], [], [], START_TIMEOUT_S)
            if not ready or self.ctl.recv(64) != b"ready":
                raise RuntimeError(f"the zygote did not start: {self._stderr()}")
        except BaseException:  # an interrupted start (a timer's exception) too: no zygote left behind
            self.stop()
            raise
        self.jobs = 0

    def _stderr(self) -> str:
        os.set_blocking(self.err_r, False)
        with contextlib.suppress(OSError):
            return os.read(self.err_r, 65536).decode(errors="replace").strip()[-300:]
        return ""

    def job(
        self,
        job: str | Program,
        inputs: Mapping[str, bytes],
        outputs: Mapping[str, int],
        wall_s: float,
        memory_mb: int,
    ) -> SandboxResult:
        pipes = Pipes.make(inputs if isinstance(job, Program) else {"__source__": job.encode(), **inputs}, outputs)
        names = list(pipes.child_fds)
        header: dict[str, Any] = {"fds": {n: i for i, n in enumerate(names)}, "cpu": int(wall_s) + 1,
                                  "as": memory_mb * MIB}  # fmt: skip
        if isinstance(job, Program):
            header["program"] = job.as_json()  # compiled once by the zygote, kept
        self.jobs += 1
        header["id"] = self.jobs
        started = time.monotonic()
        try:
            socket.send_fds(self.ctl, [json.dumps(header).encode()], [pipes.child_fds[n] for n in names])
        except OSError as exc:
            pipes.close_all()
            raise ZygoteGone(str(exc)) from exc
        pipes.close_child_ends()
        try:
            pumped = pump(self.ctl.fileno(), pipes, started + wall_s)
            reply = None
            if not pumped.timed_out and "__stdout__" not in pumped.over:
                reply = self._reply()
        except BaseException:  # interrupted mid-run: the zygote's state is unknown, never reuse it
            self.stop()
            raise
        finally:
            pipes.close_all()
        if reply is None or reply.get("id") != self.jobs or not reply.get("clean"):
            log.info("code sandbox: restarting the zygote (%s)", "no report" if reply is None else "not clean")
            self.stop()
            reply = None if reply is None or reply.get("id") != self.jobs else reply
        status = reply["status"] if reply else None
        exit_status = os.waitstatus_to_exitcode(status) if isinstance(status, int) else -signal.SIGKILL
        return pumped.result(exit_status, time.monotonic() - started)

    def _reply(self) -> dict[str, Any] | None:
        self.ctl.setblocking(False)
        try:
            data = self.ctl.recv(65536)
        except OSError:
            return None
        finally:
            self.ctl.setblocking(True)
        try:
            reply = json.loads(data) if data else None
        except ValueError:
            return None
        return reply if isinstance(reply, dict) else None

    def alive(self) -> bool:
        return not self.stopped and self.owner == os.getpid() and self.proc.poll() is None

    def stop(self) -> None:
        """Kill the zygote's whole pid namespace and every process of the slot uid; reap bwrap."""
        if self.stopped:
            return
        self.stopped = True
        with contextlib.suppress(OSError):
            self.ctl.close()
        if self.owner != os.getpid():
            return  # a forked copy: the zygote belongs to the process that started it
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        self.proc.wait()
        with contextlib.suppress(OSError):
            os.close(self.err_r)
        kill_uid(self.uid)


_lock = threading.Lock()
_zygote: Zygote | None = None


def run(
    layers: tuple[str, ...],
    uid: int,
    job: str | Program,
    *,
    inputs: Mapping[str, bytes],
    outputs: Mapping[str, int],
    wall_s: float,
    memory_mb: int,
) -> SandboxResult:
    """Run `job` (a program's source, or a trusted program) as one fresh process of this worker's
    zygote (started on first use)."""
    global _zygote
    with _lock:
        for attempt in (1, 2):
            if _zygote is None or not _zygote.alive():
                if _zygote is not None:
                    _zygote.stop()
                _zygote = None
                sweep_once(uid)
                _zygote = Zygote(layers, uid)
            try:
                return _zygote.job(job, inputs, outputs, wall_s, memory_mb)
            except ZygoteGone:
                _zygote.stop()
                _zygote = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def current_pid() -> int | None:
    """The host pid of this process's zygote sandbox (its bwrap), None when none runs."""
    with _lock:
        return _zygote.proc.pid if _zygote is not None and _zygote.alive() else None


def stop() -> None:
    """Stop this process's zygote (the next run starts a fresh one)."""
    global _zygote
    with _lock:
        if _zygote is not None:
            _zygote.stop()
            _zygote = None
