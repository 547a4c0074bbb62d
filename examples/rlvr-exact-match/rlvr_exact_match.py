"""An example verifier shipped as its own package: the last non-empty line must equal the reference.

pip install -e examples/rlvr-exact-match
RLVR_VERIFIERS=exact_match rlvr serve
"""

from __future__ import annotations

from rlvr.services.verifiers.base import Verdict, Verifier


class ExactMatchVerifier(Verifier):
    """1.0 when the completion's last non-empty line equals the reference, ignoring case and spaces."""

    name = "exact_match"
    version = "0.1.0"
    components = {"exact": 1.0}
    description = "Last non-empty line equals the reference (case- and whitespace-insensitive)."
    isolation = "inline"

    def score(self, completion: str, reference: str) -> Verdict:
        if not reference.strip():
            raise ValueError("reference is empty")
        lines = [line for line in completion.splitlines() if line.strip()]
        last = " ".join(lines[-1].split()).lower() if lines else ""
        matched = last == " ".join(reference.split()).lower()
        return Verdict(
            components={"exact": 1.0 if matched else 0.0},
            answer=last[:200] or None,
            flags=() if lines else ("no_answer",),
        )
