"""What a bwrap sandbox sees of the host, all read-only: the interpreter, its standard library (with
its site-packages hidden under an empty tmpfs), the shared libraries `ldd` finds for the interpreter
and the standard library's extension modules, and the locale the environment names. Nothing else:
not /usr/lib as a whole, not /etc, no other program. Computed once per process, from the running
interpreter (ldd takes about half a second). The libraries of one directory are bound as one
directory holding only them (hard links made once in the slot directory, `stage`): bubblewrap's
cost grows with every bind.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rlvr.services.sandbox.capabilities import SandboxUnavailable
from rlvr.services.sandbox.limits import ENV
from rlvr.services.sandbox.settings import sandbox_settings

LOCALE_DIR = "/usr/lib/locale"  # glibc's, where the C.UTF-8 locale of ENV["LANG"] lives
USR_MERGE_LINKS = ("/lib", "/lib64", "/lib32")  # kept as the host has them (-> usr/lib...)
_LIBRARY = re.compile(r"^\s+(?:\S+ => )?(/\S+) \(0x[0-9a-f]+\)$")  # "name => /path (0x..)" or "/path (0x..)"


@dataclass(frozen=True, slots=True)
class HostView:
    binds: tuple[tuple[str, str], ...]  # (host path, sandbox path), bound read-only
    hidden: tuple[str, ...]  # sandbox directories covered by an empty read-only tmpfs
    symlinks: tuple[tuple[str, str], ...]  # (target, link)


def interpreter() -> str:
    return os.path.realpath(sys.executable)


def _outermost(paths: set[str]) -> list[str]:
    """The paths that are not inside another one of them."""
    return sorted(p for p in paths if not any(p.startswith(q + "/") for q in paths))


def stdlib_dirs() -> list[str]:
    """The standard library's directories (pure, platform, extension modules), real paths."""
    base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}
    paths = sysconfig.get_paths(vars=base)
    found = {os.path.realpath(paths[key]) for key in ("stdlib", "platstdlib")}
    dynload = sysconfig.get_config_var("DESTSHARED")
    if dynload:
        found.add(os.path.realpath(dynload))
    return _outermost({p for p in found if os.path.isdir(p)})


def site_packages(inside: list[str]) -> list[str]:
    """The interpreter's package directories (the service's libraries) within `inside`: hidden."""
    base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}
    found = {os.path.realpath(sysconfig.get_path(key, vars=base)) for key in ("purelib", "platlib")}
    return sorted(p for p in found if os.path.isdir(p) and any(p.startswith(d + "/") for d in inside))


def ldd(files: list[str], processes: int = 4) -> list[str]:
    """The shared libraries the dynamic loader finds for `files`, as it names them (ldd runs the
    loader once per file: a few ldd processes at once share the work)."""
    tool = shutil.which("ldd")
    if tool is None:
        raise SandboxUnavailable("ldd not found (apt-get install libc-bin): the sandbox's libraries are unknown")
    env = {**os.environ, "LC_ALL": "C"}
    chunks = [files[i::processes] for i in range(processes) if files[i::processes]]
    procs = [
        subprocess.Popen([tool, *chunk], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env) for chunk in chunks
    ]
    lines = [line for proc in procs for line in proc.communicate(timeout=60)[0].decode(errors="replace").splitlines()]
    return sorted({m.group(1) for line in lines if (m := _LIBRARY.match(line))})


def libraries() -> list[str]:
    """ldd's libraries for the interpreter and every extension module of the standard library."""
    dirs = stdlib_dirs()
    hidden = site_packages(dirs)
    modules = [
        str(p) for d in dirs for p in Path(d).rglob("*.so*") if not any(str(p).startswith(h + "/") for h in hidden)
    ]
    return ldd([interpreter(), *sorted(modules)])


def locales() -> list[str]:
    """The locale directory ENV["LANG"] names (C.UTF-8 is looked up as C.utf8 too)."""
    lang = ENV["LANG"]
    name, _, codeset = lang.partition(".")
    candidates = {lang, f"{name}.{codeset.lower().replace('-', '')}"}
    return sorted(p for c in candidates if os.path.isdir(p := os.path.join(LOCALE_DIR, c)))


def _place(path: str) -> str:
    """Where the sandbox has a host path: the same path, through real directories."""
    return os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))


def stage(files: dict[str, str]) -> str:
    """A directory holding exactly `files` (name -> host file), as hard links (copies across file
    systems), made once in the slot directory and shared by every process that needs the same."""
    stats = {name: os.stat(src) for name, src in files.items()}  # a changed library: another directory
    facts = sorted((name, files[name], s.st_ino, s.st_size, s.st_mtime_ns) for name, s in stats.items())
    root = sandbox_settings().slot_path()
    final = root / f"libs-{hashlib.sha256(repr(facts).encode()).hexdigest()[:16]}"
    if final.is_dir():
        return str(final)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".libs-", dir=root)
    try:
        for name, src in files.items():
            try:
                os.link(src, os.path.join(staging, name))
            except OSError:
                shutil.copy2(src, os.path.join(staging, name))
        os.chmod(staging, 0o755)
        os.rename(staging, final)  # whole or not at all; another process may have made it first
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not final.is_dir():
            raise
    return str(final)


def _grouped(binds: dict[str, str], libs: set[str]) -> dict[str, str]:
    """`binds` with the libraries of one directory bound as one staged directory holding only them:
    bubblewrap reads the whole mount table again after each bind, so forty binds cost tens of ms
    at every sandbox's start, one costs nothing. A directory another bind lies under stays as is."""
    by_dir: dict[str, list[str]] = {}
    for dest in libs:
        by_dir.setdefault(os.path.dirname(dest), []).append(dest)
    grouped = dict(binds)
    for directory, members in by_dir.items():
        if len(members) < 2 or any(d.startswith(directory + "/") for d in binds if d not in members):
            continue
        staged = stage({os.path.basename(dest): binds[dest] for dest in members})
        for dest in members:
            del grouped[dest]
        grouped[directory] = staged
    return grouped


@cache
def host_view() -> HostView:
    """The read-only binds of a sandbox: each at the path the host has it under, through real
    directories (the host's /lib -> usr/lib links are made again inside)."""
    dirs = stdlib_dirs()
    libs = {_place(path): os.path.realpath(path) for path in libraries()}
    binds: dict[str, str] = {}
    for path in [interpreter(), *dirs, *locales()]:
        binds.setdefault(_place(path), os.path.realpath(path))
    for dest, src in libs.items():
        binds.setdefault(dest, src)
    outer = set(_outermost(set(binds)))
    binds = _grouped({dest: src for dest, src in binds.items() if dest in outer}, set(libs) & outer)
    symlinks = tuple((os.readlink(link), link) for link in USR_MERGE_LINKS if os.path.islink(link))
    return HostView(
        binds=tuple((src, dest) for dest, src in sorted(binds.items())),
        hidden=tuple(site_packages(dirs)),
        symlinks=symlinks,
    )
