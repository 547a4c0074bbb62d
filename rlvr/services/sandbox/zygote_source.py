"""The zygote's own code, run inside a long-lived bubblewrap sandbox (zygote.py starts it): source
text, not imported.

It stays root *inside* the sandbox with only CAP_SETUID and CAP_SETGID (bwrap-root keeps no other
capability), non-dumpable, a child subreaper, under the sandbox's seccomp filter. Programs run at
the slot uid, so they can neither signal it nor read it. For each job (a JSON header and the job's
pipe fds, over SCM_RIGHTS on its control socket) it forks a child that keeps only the job's fds,
drops to the slot uid, sets its limits and runs the job's source: that child is the sandboxed
process of one run. When the child has exited, the zygote kills every remaining process of the uid
(a child at the slot uid does `kill(-1, SIGKILL)`), reaps them all, empties /tmp (the only writable
place) and then reports the child's wait status and whether it left the sandbox clean. Nothing of
one job is visible to the next: no process, no file. The zygote itself never reads a job's data.
"""

ZYGOTE = r"""
import os, sys, json, socket, signal, resource, ctypes, builtins, traceback, time
H = json.loads(sys.argv[1])
UID, NPROC, CTL = H["uid"], H["nproc"], H["ctl"]
if os.getuid() != 0 or os.geteuid() != 0 or UID == 0:
    sys.stderr.write("the zygote needs root inside its sandbox (bwrap-root)\n"); sys.exit(120)
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(38, 1, 0, 0, 0)   # PR_SET_NO_NEW_PRIVS
libc.prctl(4, 0, 0, 0, 0)    # PR_SET_DUMPABLE 0
libc.prctl(36, 1, 0, 0, 0)   # PR_SET_CHILD_SUBREAPER: orphans of a job come back here
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
resource.setrlimit(resource.RLIMIT_FSIZE, (H["fsize"], H["fsize"]))
resource.setrlimit(resource.RLIMIT_NOFILE, (H["nofile"], H["nofile"]))
for name in H["preload"]:  # the runner's and common programs' imports, loaded once (not random: seeded)
    try:
        __import__(name)
    except ImportError:
        pass
ctl = socket.socket(fileno=CTL)
null = os.open("/dev/null", os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(null, fd)
os.chdir("/tmp")
CACHE = {}


def close_all_but(keep):
    low = 3
    for fd in sorted(keep):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1
    os.closerange(low, 1 << 16)


def drop():
    os.setgroups([]); os.setgid(UID); os.setuid(UID)
    if 0 in os.getresuid() or 0 in os.getresgid():
        os._exit(121)
    libc.prctl(4, 0, 0, 0, 0)


def exit_code(e):
    code = e.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        print(code, file=sys.stderr)
    except BaseException:
        pass
    return 1


def job_child(job, fds, source, code):
    rc = 1
    try:
        named = {name: fds[i] for name, i in job["fds"].items()}
        for target, name in enumerate(("__stdin__", "__stdout__", "__stderr__")):
            os.dup2(named.pop(name), target)
        close_all_but(set(named.values()))
        drop()
        libc.prctl(36, 1, 0, 0, 0)
        for limit, value in ((resource.RLIMIT_NPROC, NPROC), (resource.RLIMIT_AS, job["as"])):
            resource.setrlimit(limit, (value, value))
        resource.setrlimit(resource.RLIMIT_CPU, (job["cpu"], job["cpu"] + 1))
        if code is None and source is not None:
            code = compile(source, "<runner>", "exec")
        elif code is None:
            fd = named.pop("__source__")
            parts = []
            while True:
                part = os.read(fd, 1 << 16)
                if not part:
                    break
                parts.append(part)
            os.close(fd)
            code = compile(b"".join(parts), "<program>", "exec")
        sys.argv = ["<sandboxed>", json.dumps({"uid": UID, "nproc": NPROC, "fds": named})]
        del job, fds, named
        try:
            exec(code, {"__name__": "__main__", "__builtins__": builtins})
            rc = 0
        except SystemExit as e:
            rc = exit_code(e)
        except BaseException:
            traceback.print_exc()
            rc = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(rc)


def as_uid(work):
    # work(), in a child at the slot uid holding nothing of the zygote; True when it exited 0
    pid = os.fork()
    if pid == 0:
        ok = False
        try:
            close_all_but(set())
            drop()
            ok = work()
        finally:
            os._exit(0 if ok else 1)
    while True:
        got, status = os.waitpid(-1, 0)
        if got == pid:
            return status == 0


def kill_all():
    os.kill(-1, signal.SIGKILL)  # every process of the uid here but this one
    return True


def wipe(path):
    for entry in os.scandir(path):
        if entry.is_dir(follow_symlinks=False):
            os.chmod(entry.path, 0o700)
            wipe(entry.path)
            os.rmdir(entry.path)
        else:
            os.unlink(entry.path)
    return not os.listdir(path)


def settle():
    # After a job: no process of the uid left (reaped), /tmp empty.
    for _ in range(8):
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            break
        as_uid(kill_all)
        try:
            while True:
                os.waitpid(-1, 0)
        except ChildProcessError:
            break
    else:
        return False
    return (not os.listdir("/tmp") or as_uid(lambda: wipe("/tmp"))) and no_residue()


def no_residue():
    # Descriptors a job parked in a Unix socket's queue (SCM_RIGHTS passed around in a loop) outlive
    # every process: a deleted file keeps /tmp full, a pty or an abstract name carries data to the
    # next job. Closing a Unix socket runs the kernel's collector of such cycles; then nothing of the
    # job may remain, or the zygote is replaced (a fresh sandbox has none of it).
    for _ in range(5):
        a, b = socket.socketpair()
        a.close(); b.close()
        with open("/proc/net/unix") as f:
            sockets = len(f.read().splitlines()) - 1
        ptys = [name for name in os.listdir("/dev/pts") if name != "ptmx"]
        tmp = os.statvfs("/tmp")
        if not sockets and not ptys and tmp.f_bfree == tmp.f_blocks:
            return True
        time.sleep(0.01)
    return False


ctl.send(b"ready")
while True:
    msg, fds, flags, _ = socket.recv_fds(ctl, 1 << 18, 32)
    if not msg:
        os._exit(0)
    job = json.loads(msg)
    if flags & (socket.MSG_CTRUNC | socket.MSG_TRUNC) or len(fds) != len(job["fds"]):
        os._exit(122)  # fds or header lost: never run a job on the wrong pipes
    code = None
    source = job.get("source")
    if source is not None:  # trusted source (the runner): compiled once, kept
        code = CACHE.get(source)
        if code is None and len(CACHE) < 8:
            try:
                code = CACHE[source] = compile(source, "<runner>", "exec")
            except Exception:
                code = None
    job_id = job.get("id")
    pid = os.fork()
    if pid == 0:
        job_child(job, fds, source, code)
    for fd in fds:
        os.close(fd)
    del job, fds, msg, code, source
    while True:
        got, status = os.waitpid(-1, 0)
        if got == pid:
            break
    clean = settle()
    ctl.send(json.dumps({"id": job_id, "status": status, "clean": clean}).encode())
"""
