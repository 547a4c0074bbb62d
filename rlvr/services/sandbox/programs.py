"""Trusted programs the sandbox runs: real .py files of a package (standard library only), read
with importlib.resources and served inside the sandbox by its loader (inside/loader.py). They are
linted and type-checked like the rest, and ship in the wheel as the modules they are.

>>> Program.from_package("rlvr.services.sandbox.inside", "bootstrap").main
'rlvr.services.sandbox.inside.bootstrap'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

__all__ = ["INSIDE", "Program", "boot_command", "package_files"]

INSIDE = "rlvr.services.sandbox.inside"  # the sandbox's own programs: loader, bootstrap, zygote


@cache
def package_files(package: str) -> dict[str, str]:
    """path -> source of every .py file of `package` (not of its subpackages)."""
    prefix = package.replace(".", "/")
    return {
        f"{prefix}/{entry.name}": entry.read_text(encoding="utf-8")
        for entry in sorted(files(package).iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".py") and entry.is_file()
    }


@dataclass(frozen=True, slots=True, eq=False)
class Program:
    """A trusted program: its files (path -> source) and the module whose `main()` runs."""

    main: str
    modules: dict[str, str]

    @classmethod
    def from_package(cls, package: str, main: str) -> Program:
        """The .py files of `package`; `main` names the entry module in it (e.g. `main`)."""
        modules = package_files(package)
        if f"{package.replace('.', '/')}/{main}.py" not in modules:
            raise ValueError(f"{package} has no module {main!r}")
        return cls(main=f"{package}.{main}", modules=modules)

    def as_json(self) -> dict[str, Any]:
        return {"main": self.main, "modules": self.modules}


def boot_command(interpreter: str, entry: str, header: dict[str, Any]) -> list[str]:
    """The command line that starts `entry` (bootstrap or zygote) with `header` in argv[1]: isolated
    mode, no site, no bytecode written; the loader as `-c`, the sandbox's own programs beside it."""
    own = Program.from_package(INSIDE, entry)
    loader = own.modules[f"{INSIDE.replace('.', '/')}/loader.py"]
    return [interpreter, "-I", "-S", "-B", "-c", loader, json.dumps({**header, "boot": own.as_json()})]
