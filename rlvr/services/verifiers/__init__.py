"""Verifiers: small classes with a name, a version, components and a pure `score`."""

from rlvr.services.verifiers.base import Verdict, Verifier
from rlvr.services.verifiers.registry import available_verifiers, load_verifier

__all__ = ["Verdict", "Verifier", "available_verifiers", "load_verifier"]
