"""Verifiers used only by tests: they hang, crash, raise or return malformed verdicts on command.

The completion is the command; anything else scores 1. `MisbehavingVerifier` runs in the worker
pool, `InlineMisbehavingVerifier` inline, so the runtime's guards are tested on both paths.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from typing import Any

from rlvr.services.verifiers.base import Verdict, Verifier


@dataclass
class _Loose:
    """A verdict-shaped object with no type checks, as a buggy plugin might return."""

    components: Any
    answer: Any = None
    flags: Any = ()


_MALFORMED: dict[str, Any] = {
    "none_flags": _Loose({"ok": 1.0}, "x", None),
    "nan": _Loose({"ok": float("nan")}),
    "inf": _Loose({"ok": float("inf")}),
    "unknown_component": _Loose({"ok": 1.0, "bonus": 5.0}),
    "missing_component": _Loose({}),
    "string_component": _Loose({"ok": "1"}),
    "int_answer": _Loose({"ok": 1.0}, 18),
    "long_flag": _Loose({"ok": 1.0}, None, ("x" * 1000,)),
    "not_a_verdict": None,
}


class MisbehavingVerifier(Verifier):
    """`hang` sleeps forever, `crash` kills its process, `raise` raises, `slow` takes 0.2 s."""

    name = "misbehaving"
    version = "0.0.1"
    components = {"ok": 1.0}
    isolation = "process"

    def score(self, completion: str, reference: str) -> Verdict:
        if completion == "hang":
            time.sleep(3600)
        if completion == "slow":
            time.sleep(0.2)
        if completion == "crash":
            os._exit(3)
        if completion == "raise":
            raise RuntimeError("boom")
        if completion in _MALFORMED:
            return _MALFORMED[completion]  # type: ignore[no-any-return]
        return Verdict(components={"ok": 1.0}, answer=completion)


class InlineMisbehavingVerifier(MisbehavingVerifier):
    """The same misbehaviour (but `hang` and `crash`), inline."""

    name = "inline-misbehaving"
    isolation = "inline"


@functools.cache
def _parse_slowly(reference: str) -> str:
    time.sleep(0.3)  # a reference parse as slow as SymPy's first look at a LaTeX answer
    return reference


class SlowReferenceVerifier(MisbehavingVerifier):
    """Parses each reference once per process, slowly (then cached), and hangs on `hang`."""

    name = "slow-reference"

    def score(self, completion: str, reference: str) -> Verdict:
        _parse_slowly(reference)
        return super().score(completion, reference)


class BrokenHooksVerifier(InlineMisbehavingVerifier):
    """Its dedup and budget hooks raise on a completion `bad-hook` (a buggy plugin's optional hooks)."""

    name = "broken-hooks"

    def dedup_key(self, completion: str) -> str | None:
        if completion == "bad-hook":
            raise RuntimeError("dedup_key bug")
        return completion

    def item_budget_s(self, reference: str) -> float | None:
        return 1.0


class SlowStartVerifier(MisbehavingVerifier):
    """Takes 2 s to load in each worker (SymPy's import on a busy machine): a spare is killable while loading."""

    name = "slow-start"

    def warm_up(self) -> None:
        time.sleep(2.0)


class SandboxSettingsProbe(MisbehavingVerifier):
    """Answers with the sandbox settings its process sees: `<sandbox_mode> <uid_base>`."""

    name = "sandbox-settings-probe"

    def score(self, completion: str, reference: str) -> Verdict:
        from rlvr.services.sandbox.settings import sandbox_settings

        seen = sandbox_settings()
        return Verdict(components={"ok": 1.0}, answer=f"{seen.sandbox_mode} {seen.uid_base}")
