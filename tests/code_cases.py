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


def unavailable(message: str) -> NoReturn:
    """Skip a test the sandbox here cannot run (a developer's machine without bubblewrap); in CI
    (`CI` set) fail instead: CI runs as root with bubblewrap, so fewer layers there is a fault."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def require_sandbox() -> None:
    """Skip where no sandbox can run (a developer's machine without bubblewrap); in CI, fail."""
    caps = sandbox.detect()
    if not set(sandbox.REQUIRED) <= set(caps.layers):
        unavailable(f"no code sandbox here: {caps.problems} (make setup installs bubblewrap and pyseccomp)")


def require_layers(*layers: str) -> None:
    """Skip a test of these layers where the sandbox here lacks one; in CI, fail."""
    caps = sandbox.detect()
    missing = [layer for layer in layers if layer not in caps.layers]
    if missing:
        unavailable(f"the code sandbox here (mode {caps.mode}) lacks {missing}: {caps.problems}")


def sandbox_processes() -> list[int]:
    """Live processes of any sandbox uid slot (every worker's and this process's): a program's,
    never a zygote's (root inside its sandbox, it is no process of a slot uid)."""
    settings = sandbox_settings()
    return slots.processes_of(*range(settings.uid_base, settings.uid_base + min(settings.uid_slots, 64)))
