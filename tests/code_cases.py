"""References and programs shared by the code-verifier tests (a module, not a test file)."""

from __future__ import annotations

import json
import os
from typing import NoReturn

import pytest

from rlvr.services import sandbox
from rlvr.services.sandbox import slots
from rlvr.services.sandbox.settings import sandbox_settings

STDIO = json.dumps({"tests": [{"stdin": "3 4\n", "stdout": "7\n"}, {"stdin": "10 -2\n", "stdout": "8"}]})
CALL = json.dumps(
    {
        "fn_name": "add",
        "tests": [
            {"args": [3, 4], "expected": 7},
            {"args": [0.1, 0.2], "expected": 0.3},
            {"args": [[1], [2]], "expected": [1, 2]},
        ],
    }
)
CHECK = json.dumps(
    {
        "entry_point": "add",
        "time_limit_s": 2,
        "test": "def check(candidate):\n    assert candidate(3, 4) == 7\n    assert candidate(1, 1) == 2\n",
        "prelude": "import math\ndef add(a, b):\n",
    }
)


def unavailable(message: str, asked: bool = False) -> NoReturn:
    """Skip a test the sandbox here cannot run (a developer's machine without bubblewrap). In CI
    (`CI` set) fail instead: CI runs as root with bubblewrap, so a sandbox that fell back to fewer
    layers there is a fault, never a skip; unless the settings `asked` for less (RLVR_CODE_*)."""
    if os.environ.get("CI") and not asked:
        pytest.fail(f"{message} (CI must run every layer: root, bubblewrap, pyseccomp)")
    pytest.skip(message)


def _asked_for_fewer_layers() -> bool:
    return sandbox_settings().sandbox_mode not in ("auto", "bwrap-root")


def require_sandbox() -> None:
    """The sandbox the code tests need: uid + rlimits + seccomp; in CI every layer (a root service
    with bubblewrap gets them all). Fewer: skip, or in CI fail."""
    caps = sandbox.detect()
    wanted = sandbox.ALL_LAYERS if os.environ.get("CI") and not _asked_for_fewer_layers() else sandbox.REQUIRED
    missing = [layer for layer in wanted if layer not in caps.layers]
    if missing:
        unavailable(f"the code sandbox here (mode {caps.mode}) lacks {missing}: {list(caps.problems)}")


def require_layers(*layers: str) -> None:
    """Skip a test of these layers where the sandbox here lacks one; in CI, fail."""
    caps = sandbox.detect()
    missing = [layer for layer in layers if layer not in caps.layers]
    if missing:
        message = f"the code sandbox here (mode {caps.mode}) lacks {missing}: {list(caps.problems)}"
        unavailable(message, asked=_asked_for_fewer_layers())


def require_zygote() -> None:
    """Skip a test of the zygote where runs do not come from one; in CI, fail."""
    caps = sandbox.detect()
    if not caps.zygote:
        asked = _asked_for_fewer_layers() or not sandbox_settings().zygote
        unavailable(f"no zygote in this sandbox (mode {caps.mode}): {list(caps.problems)}", asked=asked)


def sandbox_processes() -> list[int]:
    """Live processes of any sandbox uid slot (every worker's and this process's): a program's,
    never a zygote's (root inside its sandbox, it is no process of a slot uid)."""
    settings = sandbox_settings()
    return slots.processes_of(*range(settings.uid_base, settings.uid_base + min(settings.uid_slots, 64)))
