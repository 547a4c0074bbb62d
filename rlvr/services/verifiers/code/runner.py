"""The trusted runner, run inside the sandbox by the bootstrap or as a zygote's fresh child (already
at the slot uid, non-dumpable, a child subreaper): all tests of one completion in ONE sandbox.

It forks one child per test; each child sets its own limits (CPU, address space, file size, open
files), closes every fd but its pipes and runs the program. The runner enforces each test's wall
limit; after each test it kills every other process of the uid in the sandbox (`kill(-1)`:
daemons, fork bombs) and reaps them. It reports one JSON row per test on a pipe only it holds:
exit status, timing, and the captured stdout (capped at 1 MiB) or the JSON return value. Expected
outputs never come in: the parent compares (harness.judge). Check-code tests: check_runner.py.
This is source text, not imported: `source()` is what the sandbox runs.
"""

from __future__ import annotations

from rlvr.services.verifiers.code.check_runner import CHECK

COMMON = r'''
import os, sys, json, time, signal, resource, select, marshal, struct, builtins, io

H = json.loads(sys.argv[1])
FDS = H["fds"]
MIB = 1024 * 1024

def read_all(fd):
    parts = []
    while True:
        b = os.read(fd, 1 << 16)
        if not b:
            break
        parts.append(b)
    os.close(fd)
    return b"".join(parts)

CFG = json.loads(read_all(FDS["config"]))
RES = FDS["results"]
KEEP_TEST_FD = FDS.get("test")
os.set_inheritable(RES, False)

def report(obj):
    data = (json.dumps(obj) + "\n").encode()
    view = memoryview(data)
    while view:
        n = os.write(RES, view)
        view = view[n:]

def limits(time_s, memory_mb):
    cpu = int(time_s) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * MIB, memory_mb * MIB))
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 * MIB, 16 * MIB))
    resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))

def only_fds(keep):
    """Close every fd but `keep` (the runner's results pipe among them)."""
    for fd in range(3, 1024):
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass

def fresh_stdio():
    """Buffered, as an ordinary interpreter's (sys.stdin.buffer.readline must not read bytewise)."""
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)))
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)))
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
    sys.set_int_max_str_digits(0)  # print(2 ** 20000) is a legitimate answer

def run_user(source, namespace):
    """Exec user code; return the exit code the child should end with."""
    try:
        exec(compile(source, "<program>", "exec"), namespace)
        return 0
    except SystemExit as e:
        code = e.code
        if code is None or code == 0:
            return 0
        if not isinstance(code, int):
            try: print(code, file=sys.stderr)
            except Exception: pass
            return 1
        return code & 0xFF or 1
    except MemoryError:
        return 3
    except SyntaxError:
        return 2
    except BaseException:
        import traceback
        try: traceback.print_exc(limit=5)
        except BaseException: pass
        return 1

def finish(code):
    try:
        sys.stdout.flush()
    except BaseException:
        pass
    try:
        sys.stderr.flush()
    except BaseException:
        pass
    os._exit(code)

def sweep():
    """Kill every other process of this uid here (daemons, bombs) and reap what comes back."""
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass
    while True:
        try:
            pid, _ = os.waitpid(-1, 0)
        except ChildProcessError:
            return
        except InterruptedError:
            continue

def collect(pid, pipes, deadline, caps, wait_for=None):
    """Drain `pipes` (name -> fd) with caps until `pid` exits (and the pipes in `wait_for` are at
    EOF, or 50 ms more have passed) or the deadline; then sweep.
    Returns (exit code, signal, bufs, timed_out, over)."""
    wait_for = set(pipes) if wait_for is None else set(wait_for)
    bufs = {name: bytearray() for name in pipes}
    open_fds = {fd: name for name, fd in pipes.items()}
    for fd in open_fds:
        os.set_blocking(fd, False)
    status = None
    timed_out = over = False
    exited_at = None
    try:
        pidfd = os.pidfd_open(pid)  # readable when the child exits: no polling
    except (AttributeError, OSError):
        pidfd = None
    while True:
        if status is None:
            got, st = os.waitpid(pid, os.WNOHANG)
            if got:
                status = st
                exited_at = time.monotonic()
        now = time.monotonic()
        if status is not None and (not (wait_for & set(open_fds.values())) or now > exited_at + 0.05):
            break  # exited; a leftover holding a pipe is killed by the sweep
        if status is None and now > deadline:
            timed_out = True
            break
        wait = (0.02 if pidfd is None else 1.0) if status is None else 0.01
        watch = list(open_fds) + ([pidfd] if pidfd is not None and status is None else [])
        try:
            ready, _, _ = select.select(watch, [], [], min(wait, max(0.0, deadline - now)))
        except InterruptedError:
            continue
        ready = [fd for fd in ready if fd in open_fds]
        for fd in ready:
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                continue
            name = open_fds[fd]
            if not chunk:
                del open_fds[fd]
                continue
            buf = bufs[name]
            buf += chunk
            cap = caps.get(name, MIB)
            if cap < 0:
                del buf[: max(0, len(buf) + cap)]
            elif len(buf) > cap:
                del buf[cap:]
                if name in ("stdout", "value"):
                    over = True
                del open_fds[fd]
        if over:
            break
    if status is None:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if pidfd is not None:
        os.close(pidfd)
    sweep()  # reaps pid too
    for fd in pipes.values():
        try:
            os.close(fd)
        except OSError:
            pass
    if status is None:
        code, sig = None, signal.SIGKILL
    elif os.WIFEXITED(status):
        code, sig = os.WEXITSTATUS(status), None
    else:
        code, sig = None, os.WTERMSIG(status)
    return code, sig, bufs, timed_out, over

def verdict_fields(code, sig, timed_out, over, wall, time_s):
    return {"exit": code, "signal": sig, "timed_out": bool(timed_out), "over": bool(over),
            "wall": round(wall, 4), "cpu_limit": sig == signal.SIGXCPU}

TIME = CFG["time_limit_s"]
MEM = CFG["memory_mb"]
PROGRAM = CFG["program"]

def run_stdio_or_call(i, test):
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    val_r, val_w = os.pipe()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(in_r, 0); os.dup2(out_w, 1); os.dup2(err_w, 2)
            only_fds({val_w} if CFG["kind"] == "call" else set())
            limits(TIME, MEM)
            fresh_stdio()
            ns = {"__name__": "__main__" if CFG["kind"] == "stdio" else "solution", "__builtins__": builtins}
            code = run_user(PROGRAM, ns)
            if code != 0 or CFG["kind"] == "stdio":
                finish(code)
            fn = ns.get(CFG["fn_name"])
            if not callable(fn):
                print("no function named %r" % CFG["fn_name"], file=sys.stderr)
                finish(1)
            try:
                value = fn(*test["args"])
                data = json.dumps(value, allow_nan=True).encode()
            except MemoryError:
                finish(3)
            except SystemExit:
                finish(1)  # exiting instead of returning is no value
            except BaseException:
                import traceback
                try: traceback.print_exc(limit=5)
                except BaseException: pass
                finish(1)
            view = memoryview(data)
            try:
                while view:
                    view = view[os.write(val_w, view[: 1 << 16]):]
            except OSError:
                finish(1)
            finish(0)
        except BaseException:
            os._exit(1)
    for fd in (in_r, out_w, err_w, val_w):
        os.close(fd)
    # feed stdin without blocking on a program that does not read it
    data = test.get("stdin", "").encode()
    os.set_blocking(in_w, False)
    try:
        n = os.write(in_w, data) if data else 0
    except OSError:
        n = len(data)
    rest = data[n:]
    if rest:
        import threading
        def feed(rest=rest, fd=in_w):
            os.set_blocking(fd, True)
            try:
                os.write(fd, rest)
            except OSError:
                pass
            try:
                os.close(fd)
            except OSError:
                pass
        threading.Thread(target=feed, daemon=True).start()
    else:
        os.close(in_w)
    pipes = {"stdout": out_r, "stderr": err_r}
    if CFG["kind"] == "call":
        pipes["value"] = val_r
    else:
        os.close(val_r)
    code, sig, bufs, timed_out, over = collect(pid, pipes, t0 + TIME, {"stdout": MIB, "value": MIB, "stderr": -2048})
    wall = time.monotonic() - t0
    row = {"i": i, **verdict_fields(code, sig, timed_out, over, wall, TIME),
           "stderr": bufs["stderr"].decode(errors="replace")}
    if CFG["kind"] == "call":
        row["value"] = bufs["value"].decode(errors="replace")
    else:
        row["stdout"] = bufs["stdout"].decode(errors="replace")
    report(row)

'''

MAIN = r"""if CFG["kind"] == "check":
    run_check()
else:
    for i, test in enumerate(CFG["tests"]):
        run_stdio_or_call(i, test)
report({"done": True})
"""


def source() -> str:
    return COMMON + CHECK + MAIN
