"""The check-code part of the runner (HumanEval `check(candidate)`), with a verdict the program
cannot forge: `check` never shares a process with the program.

The runner forks a candidate process C (prelude + program; it then serves calls) and a checker
process K (prelude imports + test; `candidate` in K is a proxy that sends marshal-encoded arguments
to C and gets back a marshal-encoded value: plain data only, never an object of the program's, so
no `__eq__` of the program's ever runs in K). K alone holds the verdict pipe and writes PASS only
after `check(candidate)` returned; the test code reaches only K, on a pipe C never holds. Whatever C
does (exit, crash, loop, patch its builtins, print anything, kill K) is a missing verdict: a fail.
Both are non-dumpable, so C cannot read K's memory or fds through /proc; seccomp refuses ptrace.
"""

CHECK = r'''def send_frame(fd, data):
    data = struct.pack("<Q", len(data)) + data
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]

def recv_frame(fd):
    head = b""
    while len(head) < 8:
        b = os.read(fd, 8 - len(head))
        if not b:
            raise EOFError
        head += b
    (n,) = struct.unpack("<Q", head)
    if n > 64 * MIB:
        raise ValueError("frame too large")
    parts, got = [], 0
    while got < n:
        b = os.read(fd, min(1 << 20, n - got))
        if not b:
            raise EOFError
        parts.append(b)
        got += len(b)
    return b"".join(parts)

PLAIN = (type(None), bool, int, float, complex, str, bytes, tuple, list, dict, set, frozenset)

def plain(value, depth=0):
    """Only plain data comes back to the checker (marshal never makes anything else but code)."""
    if depth > 200 or type(value) not in PLAIN:
        return False
    if type(value) in (tuple, list, set, frozenset):
        return all(plain(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(plain(k, depth + 1) and plain(v, depth + 1) for k, v in value.items())
    return True

def as_plain(value, depth):
    """In the candidate: subclasses of plain types (defaultdict, namedtuple, an int subclass) as the
    plain type itself, so marshal can send them; the checker still accepts only plain data."""
    if depth > 200:
        raise ValueError("the return value is nested too deeply")
    kind = type(value)
    if kind in (type(None), bool, int, float, complex, str, bytes):
        return value
    for base in (bool, int, float, complex, str, bytes):
        if isinstance(value, base):
            return base(value)
    if isinstance(value, dict):
        return {as_plain(k, depth + 1): as_plain(v, depth + 1) for k, v in value.items()}
    for base in (tuple, list, set, frozenset):
        if isinstance(value, base):
            return base(as_plain(v, depth + 1) for v in value)
    return value  # anything else: marshal refuses it, and the checker sees the candidate fail

def run_check():
    req_r, req_w = os.pipe()     # checker -> candidate
    resp_r, resp_w = os.pipe()   # candidate -> checker
    out_r, out_w = os.pipe()     # candidate stdout+stderr (drained, discarded)
    kout_r, kout_w = os.pipe()   # checker stderr (the assertion that failed)
    ver_r, ver_w = os.pipe()     # the verdict: written by the checker only
    test_fd = KEEP_TEST_FD
    t0 = time.monotonic()
    cpid = os.fork()
    if cpid == 0:  # the candidate: the program's process; never sees the test or the verdict pipe
        try:
            os.dup2(out_w, 1); os.dup2(out_w, 2)
            devnull = os.open("/dev/null", os.O_RDONLY); os.dup2(devnull, 0)
            only_fds({req_r, resp_w})
            limits(TIME, MEM)
            fresh_stdio()
            # not __main__: a solution's `if __name__ == "__main__":` demo must not run (stdin is empty)
            ns = {"__name__": "solution", "__builtins__": builtins}
            code = run_user(CFG["prelude_part"], ns)
            if code == 0:
                code = run_user(PROGRAM, ns)
            if code != 0:
                finish(code)
            fn = ns.get(CFG["entry_point"])
            dumps, loads = marshal.dumps, marshal.loads
            while True:
                try:
                    args, kwargs = loads(recv_frame(req_r))
                except EOFError:
                    finish(0)
                try:
                    value = fn(*args, **kwargs)
                    reply = dumps((True, as_plain(value, 0)))
                except BaseException as e:
                    try:
                        reply = dumps((False, "%s: %s" % (type(e).__name__, str(e)[:500])))
                    except BaseException:
                        reply = dumps((False, "unencodable error"))
                send_frame(resp_w, reply)
        except BaseException:
            os._exit(1)
    kpid = os.fork()
    if kpid == 0:  # the checker: trusted reference code; talks to the candidate only through data
        try:
            os.dup2(kout_w, 2); os.dup2(kout_w, 1)
            devnull = os.open("/dev/null", os.O_RDONLY); os.dup2(devnull, 0)
            only_fds({req_w, resp_r, ver_w, test_fd})
            limits(TIME, MEM)
            fresh_stdio()
            test_src = read_all(test_fd).decode()
            dumps, loads = marshal.dumps, marshal.loads
            class CandidateError(Exception):
                pass
            def candidate(*args, **kwargs):
                try:
                    send_frame(req_w, dumps((args, kwargs)))
                except (ValueError, TypeError) as e:
                    raise CandidateError("arguments cannot be sent: %s" % e)
                ok_value = loads(recv_frame(resp_r))
                if type(ok_value) is not tuple or len(ok_value) != 2 or not plain(ok_value[1]):
                    raise CandidateError("the candidate returned something that is not plain data")
                ok, value = ok_value
                if ok is not True:
                    raise CandidateError("the candidate raised %s" % (value,))
                return value
            ns = {"__name__": "__main__", "__builtins__": builtins}
            exec(compile(CFG["checker_prelude"], "<prelude>", "exec"), ns)
            ns[CFG["entry_point"]] = candidate
            exec(compile(test_src, "<test>", "exec"), ns)
            ns["check"](candidate)
            os.write(ver_w, b"PASS")
            os._exit(0)
        except MemoryError:
            os._exit(3)
        except AssertionError:
            import traceback
            try: traceback.print_exc(limit=3); sys.stderr.flush()
            except BaseException: pass
            os._exit(4)
        except BaseException:
            import traceback
            try: traceback.print_exc(limit=3)
            except BaseException: pass
            try: sys.stderr.flush()
            except BaseException: pass
            os._exit(1)
    for fd in (req_r, req_w, resp_r, resp_w, out_w, kout_w, ver_w, test_fd):
        os.close(fd)
    # wait for the checker (the decisive process); drain the candidate's output meanwhile
    code, sig, bufs, timed_out, over = collect(
        kpid, {"verdict": ver_r, "stderr": kout_r, "cand": out_r}, t0 + TIME,
        {"verdict": 16, "stderr": -2048, "cand": -2048}, wait_for=("verdict", "stderr"))
    wall = time.monotonic() - t0
    row = {"i": 0, **verdict_fields(code, sig, timed_out, False, wall, TIME),
           "verdict": bufs["verdict"].decode(errors="replace"),
           "stderr": (bufs["stderr"] + b"\n" + bufs["cand"]).decode(errors="replace")[-3000:]}
    report(row)

'''
