"""`pip install rlvr` with no extras: one top-level package, pydantic and httpx only, importable without torch."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What pydantic and httpx need, taken from this environment (the test runs offline).
CORE = ["pydantic", "pydantic_core", "typing_extensions", "annotated_types", "typing_inspection",
        "httpx", "httpcore", "h11", "anyio", "idna", "certifi"]  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
    )
    (path,) = out.glob("rlvr-*.whl")
    return path


def test_the_wheel_installs_only_the_rlvr_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {
        "rlvr",
        wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info",
    }
    metadata = next(n for n in names if n.endswith("METADATA"))
    requires = [
        line.removeprefix("Requires-Dist: ").split(";")[0]
        for line in zipfile.ZipFile(wheel).read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    assert sorted(r.split(">")[0].split("=")[0].strip() for r in requires) == ["httpx", "pydantic"]


def test_client_library_imports_in_a_fresh_environment_without_torch(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # a pure-Python wheel unpacked is an install, for importing
    for name in CORE:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, name
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (site / source.name).symlink_to(source)
    code = (
        "import sys, importlib.util\n"
        "import rlvr.integrations.verl, rlvr.integrations.trl, rlvr.services.protocol, rlvr.client\n"
        "assert importlib.util.find_spec('torch') is None, 'torch is visible'\n"
        "heavy = {'torch', 'transformers', 'fastapi', 'trl', 'uvicorn'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
        "print('ok')\n"
    )
    python = env_dir / "bin" / "python"
    result = subprocess.run([python, "-c", code], env={"PYTHONPATH": str(site)}, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
