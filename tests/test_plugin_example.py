"""A verifier from a separately installed package: found by entry point, served, conformant."""

from __future__ import annotations

import httpx

from rlvr.services.runtime import Settings
from rlvr.services.verifiers import available_verifiers
from rlvr.testing.conformance import check_verifier


def test_example_package_is_registered_by_entry_point() -> None:
    assert available_verifiers()["exact_match"] == "rlvr_exact_match:ExactMatchVerifier"


def test_example_verifier_is_served_by_name(serve) -> None:
    url = serve(Settings(verifiers=["exact_match"]))
    reply = httpx.post(f"{url}/score", json={"items": [{"completion": "work\n  Paris ", "reference": "paris"}]})
    assert reply.json()["verifier"] == {"name": "exact_match", "version": "0.1.0"}
    assert reply.json()["results"][0]["components"] == {"exact": 1.0}


def test_example_verifier_passes_the_conformance_kit() -> None:
    check_verifier("exact_match", samples=[("x\nParis", "paris", 1.0), ("Lyon", "Paris", 0.0)])
