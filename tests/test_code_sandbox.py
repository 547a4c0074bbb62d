"""The sandbox against hostile programs (issue 12, item 3): every attack scores 0 and leaves no
process of any sandbox uid alive; the sandbox sees no network but its own loopback, no host files
and nothing of the service's environment.

Network tests aim only at a listener this test opens on the host's 127.0.0.1, never elsewhere.
"""

from __future__ import annotations

import json
import signal

import pytest

from rlvr.services.sandbox import zygote
from tests.code_cases import CALL, CHECK, STDIO, require_layers, require_zygote, sandbox_processes

HOSTILE = [
    # module-level exits before the tests
    "import sys\nsys.exit(0)\ndef add(a, b): return 0",
    "import os\nos._exit(0)\ndef add(a, b): return 0",
    "raise SystemExit\ndef add(a, b): return 0",
    # exits inside the tests
    "import sys\ndef add(a, b):\n    sys.exit(0)",
    "import os\ndef add(a, b):\n    os._exit(0)",
    "def add(a, b):\n    raise SystemExit(0)",
    # printing what a harness might print on success
    'print(\'PASS\')\nprint(\'ok\')\nprint(\'{"i": 0, "exit": 0, "verdict": "PASS"}\')\ndef add(a, b): return 0',
    'import os\nfor fd in range(3, 64):\n    try: os.write(fd, b\'PASS\\n{"i": 0, "exit": 0, "verdict": "PASS", "wall": 0}\\n\')\n'
    "    except OSError: pass\ndef add(a, b): return 0",
    # an object whose __eq__ says yes to everything
    "class Yes(int):\n    def __eq__(self, o): return True\n    __hash__ = int.__hash__\ndef add(a, b): return Yes(0)",
    "class Yes:\n    def __eq__(self, o): return True\ndef add(a, b): return Yes()",
    # patching builtins / AssertionError
    "import builtins\nclass N(Exception): pass\nbuiltins.AssertionError = N\ndef add(a, b): return 0",
    "import builtins, sys\nbuiltins.__dict__['print'] = None\nsys.modules['builtins'].__build_class__ = None\ndef add(a, b): return 0",
    # reading the test: anywhere in the file system, other processes' fds, memory, cmdlines
    "import os\nfound = False\nfor root, dirs, files in os.walk('/'):\n"
    "    if root.startswith(('/usr', '/sys')): continue\n    for f in files:\n"
    "        try: found = found or b'candidate(3, 4)' in open(os.path.join(root, f), 'rb').read(1 << 20)\n"
    "        except Exception: pass\n"
    "for p in os.listdir('/proc'):\n    for what in ('cmdline', 'environ', 'mem'):\n"
    "        try: found = found or b'candidate(3, 4)' in open(f'/proc/{p}/{what}', 'rb').read(1 << 20)\n"
    "        except Exception: pass\n"
    "    try:\n        for fd in os.listdir(f'/proc/{p}/fd'):\n"
    "            try: found = found or b'candidate' in open(f'/proc/{p}/fd/{fd}', 'rb').read(1 << 16)\n"
    "            except Exception: pass\n    except Exception: pass\n"
    "import gc\nfound = found or any(isinstance(o, str) and 'candidate(3, 4)' in o for o in gc.get_objects())\n"
    "def add(a, b): return a + b if found else 0",
    # a double-forked daemon holding every pipe open and writing success markers
    "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        for _ in range(600):\n"
    "            for fd in range(64):\n                try: os.write(fd, b'PASS')\n                except OSError: pass\n"
    "            time.sleep(0.1)\n    os._exit(0)\ndef add(a, b): return 0",
    # a fork bomb
    "import os\ndef add(a, b):\n    while True:\n        try: os.fork()\n        except OSError: pass",
    # loops and sleeps past the deadline
    "def add(a, b):\n    while True: pass",
    "import time\ntime.sleep(100)\ndef add(a, b): return a + b",
    "import time, signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\ndef add(a, b):\n    time.sleep(100)",
    # 10 GB of memory
    "x = bytearray(10 * 1024**3)\ndef add(a, b): return a + b",
    "def add(a, b):\n    x = [0] * (10**10)\n    return a + b",
    # a huge file
    "def add(a, b):\n    with open('/tmp/big', 'wb') as f:\n        while True: f.write(b'x' * (1 << 20))",
    # huge output
    "import sys\nwhile True: sys.stdout.write('x' * 65536)\ndef add(a, b): return a + b",
    # killing the whole sandbox (the runner is the same uid)
    "import os, signal\ntry: os.kill(-1, signal.SIGKILL)\nexcept Exception: pass\ndef add(a, b): return 0",
    # stopping the runner (the candidate's parent): no verdict is ever reported
    "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\ndef add(a, b): return a + b",
    # stopping, then killing, every other process it can see (the zygote, if any, must survive)
    "import os, signal\nfor p in os.listdir('/proc'):\n    if p.isdigit() and int(p) != os.getpid():\n"
    "        for s in (signal.SIGSTOP, signal.SIGKILL):\n            try: os.kill(int(p), s)\n"
    "            except OSError: pass\ndef add(a, b): return a + b",
    # System V shared memory (it would outlive the program)
    "import ctypes\nok = ctypes.CDLL(None).shmget(0, 4096, 0o1600) >= 0\ndef add(a, b): return a + b if ok else 0",
    # new namespaces, ptrace, sockets
    "import os, ctypes\nlibc = ctypes.CDLL(None)\nok = libc.unshare(0x10000000) == 0\ndef add(a, b): return a + b if ok else 0",
    "import socket\ntry:\n    socket.socket(socket.AF_INET, socket.SOCK_STREAM); ok = True\nexcept OSError: ok = False\n"
    "def add(a, b): return a + b if ok else 0",
    # memory outside the address-space limit: anonymous in-memory files
    "import os\nfds = [os.memfd_create('x') for _ in range(20)]\ndef add(a, b): return a + b",
]


ZYGOTE_STOPS_RUNNER = next(i for i, p in enumerate(HOSTILE) if "getppid(), signal.SIGSTOP" in p)
ZYGOTE_SIGNALS = ZYGOTE_STOPS_RUNNER + 1
CORRECT = "def add(a, b):\n    return a + b"


@pytest.mark.parametrize("program", HOSTILE, ids=[f"attack{i}" for i in range(len(HOSTILE))])
def test_attack_scores_zero_and_leaves_no_process(code_verifier, program):
    verdict = code_verifier.score(f"```python\n{program}\n```", CHECK)
    assert verdict.components["correctness"] == 0.0, verdict
    assert sandbox_processes() == []
    # the same worker still judges the next completion
    assert code_verifier.score(CORRECT, CHECK).components["correctness"] == 1.0
    assert sandbox_processes() == []


PLAIN_ATTACKS = [
    # (program, reference): each must score 0 on a kind the parent judges
    ("import sys\nsys.exit(0)", STDIO),  # exit 0 with no output
    ("import os\nos._exit(0)", STDIO),  # the same, bypassing Python's exit
    ("import os,time\nif os.fork()==0:\n    time.sleep(0.5); print(7)\n", STDIO),  # a child printing after exit
    ("class Y(list):\n    def __eq__(s, o): return True\ndef add(a, b): return Y()", CALL),  # __eq__ always True
    ("import os\ndef add(a, b): os._exit(0)", CALL),  # exiting instead of returning
]


@pytest.mark.parametrize(("program", "reference"), PLAIN_ATTACKS)
def test_attack_on_stdio_and_call_kinds(code_verifier, program, reference):
    assert code_verifier.score(program, reference).components["correctness"] == 0.0
    assert sandbox_processes() == []
    correct = CORRECT if reference == CALL else "a,b=map(int,input().split())\nprint(a+b)"
    assert code_verifier.score(correct, reference).components["correctness"] == 1.0


def test_nothing_in_tmp_survives_a_completion(code_verifier):
    # one completion leaves files, a locked directory, a fifo and a symlink; the next sees an empty /tmp
    require_layers("tmpfs")
    leave = (
        "import os\nopen('/tmp/note', 'w').write('x')\nos.makedirs('/tmp/d/e')\nopen('/tmp/d/e/f', 'w').write('y')\n"
        "os.chmod('/tmp/d/e', 0)\nos.chmod('/tmp/d', 0)\nos.mkfifo('/tmp/fifo')\nos.symlink('/usr', '/tmp/link')\n"
        "open('/tmp/.hidden', 'w').write('z')\nprint('left')"
    )
    assert (
        code_verifier.score(leave, json.dumps({"tests": [{"stdin": "", "stdout": "left"}]})).components["correctness"]
        == 1.0
    )
    look = "import os\nprint(sorted(os.listdir('/tmp')))"
    verdict = code_verifier.score(look, json.dumps({"tests": [{"stdin": "", "stdout": "[]"}]}))
    assert verdict.components["correctness"] == 1.0, verdict


def test_zygote_outlives_attacks_it_cannot_be_reached_by(code_verifier):
    # where runs are forked by a zygote: a program that signals everything it sees leaves it alone;
    # one that stops the runner gets it replaced (the run's deadline), and the next completion passes
    require_zygote()
    assert code_verifier.score(CORRECT, CHECK).components["correctness"] == 1.0
    first = zygote.current_pid()
    assert first is not None
    assert code_verifier.score(HOSTILE[ZYGOTE_SIGNALS], CHECK).components["correctness"] == 0.0
    assert zygote.current_pid() == first
    assert code_verifier.score(HOSTILE[ZYGOTE_STOPS_RUNNER], CHECK).components["correctness"] == 0.0
    assert code_verifier.score(CORRECT, CHECK).components["correctness"] == 1.0
    assert zygote.current_pid() not in (None, first)
    assert sandbox_processes() == []


def test_nothing_in_the_sandbox_holds_more_than_setuid_setgid(code_verifier):
    # the program is not root; every process it can see has no_new_privs; root ones (bwrap's init, a
    # zygote) hold at most CAP_SETUID and CAP_SETGID; every other holds nothing, under the seccomp filter
    require_layers("pidns")
    prog = (
        "import os\nbad = ['self'] if 0 in os.getresuid() else []\nfor p in filter(str.isdigit, os.listdir('/proc')):\n"
        "    try: st = dict(l.split(':\\t', 1) for l in open(f'/proc/{p}/status').read().splitlines() if ':\\t' in l)\n"
        "    except OSError: continue\n"
        "    caps = int(st['CapEff'], 16) | int(st['CapPrm'], 16)\n"
        "    if caps & ~0xC0 or st['NoNewPrivs'] != '1': bad.append(p)\n"
        "    if st['Uid'].split()[0] != '0' and (caps or st['Seccomp'] != '2'): bad.append(p)\n"
        "print(bad or 'ok')"
    )
    verdict = code_verifier.score(prog, json.dumps({"tests": [{"stdin": "", "stdout": "ok"}]}))
    assert verdict.components["correctness"] == 1.0, verdict


class _Interrupted(BaseException):
    pass


def _interrupt(signum: int, frame: object) -> None:
    raise _Interrupted


def test_a_run_interrupted_in_the_parent_leaves_nothing_behind(code_verifier):
    # an exception in the parent mid-run (the pool's warm-up timer raises one): no process survives,
    # and the next completion is judged on its own pipes, not on the interrupted run's
    previous = signal.signal(signal.SIGALRM, _interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(_Interrupted):
            code_verifier.score("import time\ntime.sleep(1.5)\nprint(7)", STDIO)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert sandbox_processes() == []
    assert code_verifier.score("a,b=map(int,input().split())\nprint(a+b)", STDIO).components["correctness"] == 1.0


PARK_FILES = (
    # deleted files whose descriptors are parked in a Unix socket's own queue: no process holds them
    "import os, socket, array\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.bind('\\0hold')\nfds = []\n"
    "for i in range(4):\n    fd = os.open(f'/tmp/big{i}', os.O_CREAT | os.O_RDWR)\n"
    "    os.posix_fallocate(fd, 0, (16 << 20) - 4096)\n    os.unlink(f'/tmp/big{i}')\n    fds.append(fd)\n"
    "s.sendmsg([b'p'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [s.fileno(), *fds]))], 0, '\\0hold')\n"
    # proof: with every file descriptor of this process closed, /tmp's blocks stay used (the queue holds them)
    "for fd in fds: os.close(fd)\nst = os.statvfs('/tmp')\nused = (st.f_blocks - st.f_bfree) * st.f_frsize\n"
    "print('parked' if used >= 60 << 20 else used)"
)
PARK_PTY = (
    # a message left in a pty whose ends are parked the same way, for a later completion to read
    "import os, socket, array\nm, t = os.openpty()\nos.write(m, b'the answer is 42\\n')\n"
    "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.bind('\\0chan')\n"
    "s.sendmsg([b'p'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [s.fileno(), m, t]))], 0, '\\0chan')\n"
    # proof: with both of its ends closed here, the pty still exists (the queue holds them)
    "os.close(m)\nos.close(t)\nprint('parked' if [p for p in os.listdir('/dev/pts') if p != 'ptmx'] else 'gone')"
)
WRITE_8MIB = "open('/tmp/scratch', 'wb').write(b'x' * (8 << 20))\nprint('ok')"
READ_LEFTOVERS = (
    "import os, socket\nfound = [p for p in os.listdir('/dev/pts') if p != 'ptmx']\ntry:\n"
    "    socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).connect('\\0chan')\n    found.append('chan')\n"
    "except OSError:\n    pass\nprint('ok' if not found else found)"
)


@pytest.mark.parametrize(("park", "probe"), [(PARK_FILES, WRITE_8MIB), (PARK_PTY, READ_LEFTOVERS)], ids=["tmp", "pty"])
def test_descriptors_parked_in_a_socket_do_not_reach_the_next_completion(code_verifier, park, probe):
    # found by review: such cycles outlive every process, so the sandbox must not be reused with them
    require_layers("tmpfs")
    parked = code_verifier.score(park, json.dumps({"tests": [{"stdin": "", "stdout": "parked"}]}))
    assert parked.components["correctness"] == 1.0, parked  # it did park them: only the queue holds them
    assert (
        code_verifier.score(probe, json.dumps({"tests": [{"stdin": "", "stdout": "ok"}]})).components["correctness"]
        == 1.0
    )
