"""The sandbox as a package (rlvr/services/sandbox): what it may import, what runs inside it, that
a plain (non-editable) install ships the programs it runs inside, and that the code tests cannot
hide behind a sandbox that fell back to fewer layers in CI.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rlvr.services import sandbox
from rlvr.services.sandbox import Capabilities
from rlvr.services.sandbox.settings import SandboxSettings
from tests import code_cases

ROOT = Path(__file__).resolve().parents[1]
SANDBOX = ROOT / "rlvr" / "services" / "sandbox"
# Code that runs inside the sandbox, where site-packages are hidden.
INSIDE = [SANDBOX / "inside", ROOT / "rlvr" / "services" / "verifiers" / "code" / "runner"]


def imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(level, module, names) of every import statement in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(0, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module or "", [alias.name for alias in node.names]))
    return found


@pytest.mark.parametrize("path", [p for d in INSIDE for p in sorted(d.glob("*.py"))], ids=lambda p: p.name)
def test_a_program_run_inside_imports_only_the_standard_library(path):
    # relative imports reach the program's own files, which the sandbox's loader serves beside it
    outside = [m for level, m, _ in imports(path) if level == 0 and m.split(".")[0] not in sys.stdlib_module_names]
    assert outside == []


def sandbox_graph() -> dict[str, set[str]]:
    """module -> the rlvr modules it imports, for every module of the sandbox (inside/ excluded)."""
    graph = {}
    for path in sorted(SANDBOX.glob("*.py")):
        name = "rlvr.services.sandbox" + ("" if path.stem == "__init__" else f".{path.stem}")
        edges = set()
        for _, module, names in imports(path):
            if not module.startswith("rlvr"):
                continue
            submodules = [f"{module}.{n}" for n in names if (SANDBOX / f"{n}.py").exists()]
            edges |= set(submodules) if module == "rlvr.services.sandbox" and submodules else {module}
        graph[name] = edges
    return graph


def test_the_sandbox_imports_nothing_of_the_verifiers_or_the_runtime():
    graph = sandbox_graph()
    assert {m for edges in graph.values() for m in edges if not m.startswith("rlvr.services.sandbox")} == set()


def test_the_sandbox_modules_import_each_other_without_a_cycle():
    graph = sandbox_graph()
    assert "rlvr.services.sandbox.zygote" not in graph["rlvr.services.sandbox.oneshot"]
    assert "rlvr.services.sandbox.oneshot" not in graph["rlvr.services.sandbox.zygote"]
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module not in done:
            for edge in graph.get(module, ()):
                visit(edge, (*path, module))
            done.add(module)

    for module in graph:
        visit(module, ())


def test_a_plain_install_ships_the_programs_and_reads_them(tmp_path):
    # a wheel, installed without -e: the programs run inside come from the installed package
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "rlvr", tmp_path / "rlvr", ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", "dist", "."], cwd=tmp_path, check=True)
    [wheel] = (tmp_path / "dist").glob("rlvr-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(tmp_path / "site"), str(wheel)], check=True)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import rlvr\nfrom rlvr.services.sandbox.programs import INSIDE, Program\n"
        "runner = Program.from_package('rlvr.services.verifiers.code.runner', 'main')\n"
        "own = Program.from_package(INSIDE, 'zygote')\n"
        "print(rlvr.__file__.startswith(sys.argv[1]), *sorted({**own.modules, **runner.modules}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "site")], capture_output=True, text=True, check=True
    )
    expected = sorted(str(p.relative_to(ROOT)) for d in INSIDE for p in d.glob("*.py"))
    assert out.stdout.split() == ["True", *expected]


FALLEN_BACK = Capabilities(("rlimits", "seccomp", "uid"), "plain", ("bwrap: not installed",))
SANDBOX_MODE_SKIPS = [
    # (CI set, RLVR_CODE_SANDBOX_MODE, what a sandbox that fell back to plain mode does to a test of its layers)
    (True, "auto", pytest.fail.Exception),  # CI runs as root with bubblewrap: fewer layers fail the run
    (False, "auto", pytest.skip.Exception),  # a developer's machine without bubblewrap: skipped
    (True, "plain", pytest.skip.Exception),  # plain mode was asked for: not a fallback
]


@pytest.mark.parametrize(("ci", "mode", "outcome"), SANDBOX_MODE_SKIPS)
def test_a_sandbox_that_fell_back_fails_ci_instead_of_skipping(monkeypatch, ci, mode, outcome):
    monkeypatch.setattr(sandbox, "detect", lambda: FALLEN_BACK)
    monkeypatch.setattr(code_cases, "sandbox_settings", lambda: SandboxSettings(sandbox_mode=mode))
    if ci:
        monkeypatch.setenv("CI", "1")
    else:
        monkeypatch.delenv("CI", raising=False)
    for require in (lambda: code_cases.require_layers("fs", "tmpfs"), code_cases.require_zygote):
        with pytest.raises(outcome):
            require()
    if outcome is pytest.fail.Exception:
        with pytest.raises(outcome):
            code_cases.require_sandbox()  # every layer, in CI
    else:
        code_cases.require_sandbox()  # uid + rlimits + seccomp are there


def test_libraries_of_one_directory_are_staged_once_and_shared(tmp_path):
    # one bind instead of forty (bubblewrap re-reads the mount table after each): a directory holding
    # exactly those libraries, made once, found again by the next process; a changed library, another
    from rlvr.services.sandbox.hostfs import stage

    (tmp_path / "liba.so.1").write_bytes(b"a")
    (tmp_path / "libb.so.2").write_bytes(b"b")
    files = {"liba.so.1": str(tmp_path / "liba.so.1"), "libb.so.2": str(tmp_path / "libb.so.2")}
    staged = Path(stage(files))
    assert sorted(p.name for p in staged.iterdir()) == ["liba.so.1", "libb.so.2"]
    assert (staged / "libb.so.2").read_bytes() == b"b" and oct(staged.stat().st_mode & 0o777) == "0o755"
    assert stage(files) == str(staged)
    (tmp_path / "libb.so.2").write_bytes(b"b, upgraded")
    assert stage(files) != str(staged)
