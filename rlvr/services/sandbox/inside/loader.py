"""The first code of every sandboxed process (`python -I -S -B -c <this file> <header>`): it serves
a program's modules from their source text and calls its entry module's `main(header)`.

The header (JSON, argv[1]) names them in "boot": {"main": module, "modules": {path: source}}. The
sandbox's own programs start this way (bootstrap.py, zygote.py); they install a trusted program of
a run (the code verifier's runner) the same way, `run`. Standard library only.
"""

from __future__ import annotations

import json
import sys
from importlib.machinery import ModuleSpec

TYPE_CHECKING = False  # `typing` is not imported at run time: every sandboxed process starts here
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from importlib.abc import Loader
    from types import CodeType, ModuleType
else:
    Loader = object


def module_name(path: str) -> tuple[str, bool]:
    """(dotted name, is a package) of a file path such as `a/b/__init__.py` or `a/b/c.py`."""
    name = path.removesuffix(".py").replace("/", ".")
    if name.endswith(".__init__"):
        return name.removesuffix(".__init__"), True
    return name, False


class Modules(Loader):
    """A meta-path finder and loader of modules given as source text or compiled code (path ->
    either); every package above them exists, empty unless its `__init__.py` is given."""

    def __init__(self, files: Mapping[str, str | CodeType]) -> None:
        self.files: dict[str, tuple[str, str | CodeType]] = {}
        self.packages: set[str] = set()
        for path, content in files.items():
            name, package = module_name(path)
            self.files[name] = (path, content)
            parts = name.split(".")
            self.packages.update(".".join(parts[:i]) for i in range(1, len(parts)))
            if package:
                self.packages.add(name)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None, /
    ) -> ModuleSpec | None:
        if fullname not in self.files and fullname not in self.packages:
            return None
        origin = self.files[fullname][0] if fullname in self.files else None
        return ModuleSpec(fullname, self, origin=origin, is_package=fullname in self.packages)

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        if module.__name__ not in self.files:
            return  # a package with no __init__.py of its own
        path, content = self.files[module.__name__]
        code = compile(content, path, "exec") if isinstance(content, str) else content
        exec(code, module.__dict__)


def compiled(files: Mapping[str, str]) -> dict[str, CodeType]:
    """Each file's code, compiled once (the zygote keeps a trusted program this way)."""
    return {path: compile(source, path, "exec") for path, source in files.items()}


def run(files: Mapping[str, str | CodeType], main: str, *args: object) -> None:
    """Make the modules importable (ahead of anything else) and call `main(*args)` of `main`."""
    sys.meta_path.insert(0, Modules(files))
    __import__(main)
    sys.modules[main].main(*args)


def boot() -> None:
    header = json.loads(sys.argv[1])
    program = header.pop("boot")
    # this module runs as __main__: the programs that import it get it as it is, not a second copy
    sys.modules[program["main"].rpartition(".")[0] + ".loader"] = sys.modules[__name__]
    run(program["modules"], program["main"], header)


if __name__ == "__main__":
    boot()
