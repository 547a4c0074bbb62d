"""Finds verifiers by name through the `rlvr.verifiers` entry-point group.

A separately installed package adds one with, in its pyproject.toml:
    [project.entry-points."rlvr.verifiers"]
    myverifier = "my_package.module:MyVerifier"
A `module:Class` path also works without any packaging (handy in tests).
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points

from rlvr.errors import UserError
from rlvr.services.verifiers.base import Verifier

GROUP = "rlvr.verifiers"


class UnknownVerifierError(UserError, LookupError):
    """No verifier is registered under that name."""


def available_verifiers() -> dict[str, str]:
    """Registered verifier names -> `module:Class` paths."""
    return {ep.name: ep.value for ep in entry_points(group=GROUP)}


def _import_path(path: str) -> type[Verifier]:
    module_name, _, qualname = path.partition(":")
    try:
        obj: object = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise UnknownVerifierError(f"verifier {path!r} cannot be imported: {exc}") from exc
    if not (isinstance(obj, type) and issubclass(obj, Verifier)):
        raise UnknownVerifierError(f"{path} is not a Verifier subclass")
    return obj


@cache
def verifier_class(spec: str) -> type[Verifier]:
    """Resolve a registered name or a `module:Class` path to a verifier class."""
    registered = available_verifiers()
    if spec in registered:
        return _import_path(registered[spec])
    if ":" in spec:
        return _import_path(spec)
    known = ", ".join(sorted(registered)) or "none"
    raise UnknownVerifierError(
        f"unknown verifier {spec!r}; registered: {known} (or a module:Class path; installed packages add more)"
    )


def load_verifier(spec: str) -> Verifier:
    """Instantiate a verifier by registered name or `module:Class` path."""
    return verifier_class(spec)()
