"""The `code` verifier: a model-written Python program run against tests in a sandbox.

Modules: extract (the program in a completion), reference (the JSON reference), harness (all tests
of a reference in one sandbox, rlvr.services.sandbox), judge (one test's report against the
reference), verifier (the Verifier).
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:  # lazy: the pool imports the verifier by module path
    if name == "CodeVerifier":
        from rlvr.services.verifiers.code.verifier import CodeVerifier

        return CodeVerifier
    raise AttributeError(name)
