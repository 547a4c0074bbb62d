"""What a sandboxed program can see of the host (issue 12 item 3, issue 20 item 6): its own
loopback and no network, none of the service's environment, and a read-only view of the interpreter,
its standard library and the libraries they load (ldd), /tmp, the basic /dev and /proc; nothing
else of the host: not /usr/lib as a whole (os-release, git), not /etc, not the service's code.

Network tests aim only at a listener this test opens on the host's 127.0.0.1, never elsewhere.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from rlvr.services import sandbox
from tests.code_cases import CHECK, require_layers, sandbox_processes

SECRET_TOKEN = "rlvr-test-secret-4711"
PRINTS_OK = json.dumps({"tests": [{"stdin": "", "stdout": "hidden"}]})

# Every path a program sees, with its kind (d, f, l), written to an output pipe of its own.
WALK = """
import json, os, sys
seen = []
for root, dirs, files in os.walk("/"):
    if root in ("/proc", "/sys"):  # the kernel's views, not the host's files
        dirs[:] = []
        continue
    for name in dirs + files:
        path = os.path.join(root, name)
        seen.append([path, "l" if os.path.islink(path) else "d" if os.path.isdir(path) else "f"])
with os.fdopen(json.loads(sys.argv[1])["fds"]["seen"], "w") as out:
    json.dump(seen, out)
"""
# What bubblewrap's --dev makes: the basic devices, a private devpts, an empty /dev/shm.
DEV = {"null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts", "pts/ptmx", "shm", "fd"}
DEV |= {"stdin", "stdout", "stderr", "core"}
_LIBRARY = re.compile(r"(/\S+) \(0x[0-9a-f]+\)$")


def host_libraries() -> set[str]:
    """What ldd says the interpreter and the standard library's extension modules load (both the
    path ldd prints and the same file through real directories)."""
    stdlib = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_exec_prefix})["stdlib"]
    modules = [str(p) for p in Path(stdlib).resolve().rglob("*.so*") if "-packages" not in str(p)]
    ldd = shutil.which("ldd")
    assert ldd, "ldd is part of libc-bin"
    out = subprocess.run([ldd, sys.executable, *modules], capture_output=True, text=True).stdout
    found = {m.group(1) for line in out.splitlines() if (m := _LIBRARY.search(line))}
    return found | {os.path.join(os.path.realpath(os.path.dirname(p)), os.path.basename(p)) for p in found}


def allow_list() -> dict[str, set[str]]:
    """kind -> the host paths (files, or directories whose whole content is allowed) of that kind."""
    base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}
    paths = sysconfig.get_paths(vars=base)
    return {
        "interpreter": {os.path.realpath(sys.executable)},
        "stdlib": {os.path.realpath(paths[key]) for key in ("stdlib", "platstdlib")},
        "library": host_libraries(),
        "locale": {"/usr/lib/locale/C.utf8", "/usr/lib/locale/C.UTF-8"},
        "tmp": {"/tmp"},
        "dev": {f"/dev/{name}" for name in DEV},
        "proc": {"/proc"},
    }


def kind_of(path: str, kind: str, allowed: dict[str, set[str]]) -> str | None:
    """Which kind of the allow-list a visible path belongs to; None: it should not be there."""
    for name, roots in allowed.items():
        if path in roots or (name in ("stdlib", "locale", "tmp") and any(path.startswith(r + "/") for r in roots)):
            return name
    every = {r for roots in allowed.values() for r in roots}
    if kind == "d" and any(r.startswith(path + "/") for r in every):
        return "parent"  # a directory on the way to an allowed path
    if kind == "l" and path in ("/lib", "/lib64", "/lib32") and os.path.islink(path):
        return "usr-merge link"  # as the host has it (-> usr/lib)
    return None


def test_a_program_sees_only_the_interpreter_its_libraries_tmp_dev_and_proc():
    require_layers("fs", "tmpfs")
    result = sandbox.run_python(WALK, outputs={"seen": 16 << 20}, wall_s=30)
    assert result.exit_status == 0, result.stderr_tail
    seen = json.loads(result.outputs["seen"])
    allowed = allow_list()
    kinds = {path: kind_of(path, kind, allowed) for path, kind in seen}
    assert sorted(path for path, k in kinds.items() if k is None) == []
    # not vacuous: the interpreter and the standard library are there; the service's packages are not
    assert {"interpreter", "stdlib", "library", "dev"} <= set(kinds.values())
    hidden = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_exec_prefix})["purelib"]
    assert [p for p in kinds if p.startswith(os.path.realpath(hidden) + "/")] == []


HOST_PROGRAMS = [p for p in ("/usr/lib/git-core/git", "/usr/bin/git", "/usr/bin/bwrap") if os.access(p, os.X_OK)]


@pytest.mark.parametrize("path", HOST_PROGRAMS)
def test_host_programs_do_not_run(code_verifier, path):
    # they run here, on the host; inside, the program prints `hidden` only when it cannot start one
    require_layers("fs")
    prog = (
        f"import subprocess\ntry:\n    subprocess.run([{path!r}, '--version'])\n    print('ran')\n"
        "except OSError:\n    print('hidden')"
    )
    verdict = code_verifier.score(prog, PRINTS_OK)
    assert verdict.components["correctness"] == 1.0, verdict


HOST_FILES = ["/etc/hostname", "/etc/passwd", "/usr/lib/os-release", __file__, sandbox.__file__]


@pytest.mark.parametrize("path", [str(Path(p).resolve()) for p in HOST_FILES if os.path.exists(p)])
def test_host_files_not_visible(code_verifier, path):
    # readable here, on the host; the program prints `hidden` only when it cannot open the file
    require_layers("fs")
    assert Path(path).read_text()
    prog = f"try:\n    open({path!r}).read()\n    print('visible')\nexcept OSError:\n    print('hidden')"
    verdict = code_verifier.score(prog, PRINTS_OK)
    assert verdict.components["correctness"] == 1.0, verdict


def test_network_only_own_loopback(code_verifier):
    # the sandbox sees exactly one interface, its own loopback
    ref = json.dumps({"tests": [{"stdin": "", "stdout": "lo"}]})
    prog = "print(' '.join(sorted(l.split(':')[0].strip() for l in open('/proc/net/dev').read().splitlines()[2:])))"
    assert code_verifier.score(prog, ref).components["correctness"] == 1.0


def test_cannot_reach_host_loopback_listener(code_verifier):
    # a listener on the host's 127.0.0.1; the program passes only if it reaches it
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        prog = (
            f"import socket\ndef add(a, b):\n    s = socket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
            "    s.sendall(b'hello')\n    return a + b\n"
        )
        verdict = code_verifier.score(prog, CHECK)
        assert verdict.components["correctness"] == 0.0
        with pytest.raises(TimeoutError):
            listener.accept()
    assert sandbox_processes() == []


def test_environment_not_visible(code_verifier, monkeypatch):
    # the service's token is in this process's environment; the program looks for it everywhere it can
    monkeypatch.setenv("RLVR_API_TOKEN", SECRET_TOKEN)
    prog = (
        f"import os\nneedle = {SECRET_TOKEN[:-1]!r} + {SECRET_TOKEN[-1]!r}\nfound = needle in repr(os.environ)\n"
        "for p in os.listdir('/proc'):\n"
        "    try: found = found or needle.encode() in open(f'/proc/{p}/environ', 'rb').read()\n"
        "    except OSError: pass\n"
        "print('found' if found else 'absent')"
    )
    verdict = code_verifier.score(prog, json.dumps({"tests": [{"stdin": "", "stdout": "absent"}]}))
    assert verdict.components["correctness"] == 1.0, verdict


def test_tmp_is_writable_but_small(code_verifier):
    prog = (
        "import os\nopen('/tmp/a', 'w').write('hi')\n"
        "try:\n    open('/tmp/b', 'wb').write(b'x' * (17 << 20)); print('big')\n"
        "except OSError:\n    print('limited')\n"
    )
    assert (
        code_verifier.score(prog, json.dumps({"tests": [{"stdin": "", "stdout": "limited"}]})).components["correctness"]
        == 1.0
    )
