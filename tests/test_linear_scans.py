"""Every scan over a completion or a reference is linear: hostile shapes at 1, 4 and 16 MiB.

Time per MiB may not grow with the size (a quadratic scan's grows 16-fold from 1 to 16 MiB);
the bounds are generous so that CI noise cannot fail them. Figures: benchmarks/bench_hardening.py.
"""

from __future__ import annotations

import contextlib
import time

import pytest

from rlvr.services.verifiers.gsm8k import GSM8KVerifier, parse_reference
from rlvr.testing.conformance import HOSTILE_SHAPES, hostile

MIB = 1 << 20
SIZES_MIB = (1, 4, 16)
MAX_S_PER_MIB = 1.0  # measured here: at most ~0.15 (docs/results.md)
MAX_GROWTH = 4.0  # per-MiB time at 16 MiB over that at 1 MiB; quadratic would be 16


def _seconds_per_mib(run, text: str) -> float:
    started = time.perf_counter()
    run(text)
    return (time.perf_counter() - started) / (len(text) / MIB)


def _check_linear(run, shape: str) -> None:
    per_mib = [_seconds_per_mib(run, hostile(shape, size * MIB)) for size in SIZES_MIB]
    assert max(per_mib) < MAX_S_PER_MIB, (shape, per_mib)
    assert per_mib[-1] < MAX_GROWTH * per_mib[0] + 0.02, (shape, per_mib)  # + 20 ms/MiB: timer noise


@pytest.mark.parametrize("shape", list(HOSTILE_SHAPES))
def test_completion_scan_is_linear(shape: str) -> None:
    verifier = GSM8KVerifier()
    _check_linear(lambda text: verifier.score(text, "18"), shape)


@pytest.mark.parametrize("shape", list(HOSTILE_SHAPES))
def test_reference_scan_is_linear(shape: str) -> None:
    def parse(text: str) -> None:
        # refusing a hostile reference is fine; taking quadratic time to do it is not
        with contextlib.suppress(ValueError):
            parse_reference(text)

    _check_linear(parse, shape)
