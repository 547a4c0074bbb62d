"""A batch observed at once (`observe_many`) records exactly what one `observe` per value records."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Histogram

from rlvr.services.runtime.histograms import observe_many

BUCKETS = (0.0, 0.5, 1.0, 1.5, 64.0, 1024.0)


def samples(values: list[float], bulk: bool) -> list[tuple[str, dict[str, str], float]]:
    """Every sample the histogram exports but its creation time."""
    registry = CollectorRegistry()
    child = Histogram("h", "a histogram", ["verifier"], buckets=BUCKETS, registry=registry).labels("gsm8k")
    if bulk:
        observe_many(child, values)
    else:
        for value in values:
            child.observe(value)
    return [
        (s.name, s.labels, s.value) for m in registry.collect() for s in m.samples if not s.name.endswith("_created")
    ]


@pytest.mark.parametrize(
    "values",
    [
        [],
        [0.0],
        [0.5, 0.5, 1.5, 1.0, 0.0],  # on the bounds: `value <= bound` counts in that bound's bucket
        [0.25, 0.75, 1.25],  # between bounds
        [1e6, 2048.0],  # past the last bound: only +Inf
        [-1.0],  # below the first bound
        [float(n) for n in range(2000)],
    ],
)
def test_a_batch_observed_at_once_matches_one_observe_per_value(values: list[float]) -> None:
    assert samples(values, bulk=True) == samples(values, bulk=False)


def test_a_histogram_without_the_expected_internals_is_observed_value_by_value() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.seen: list[float] = []

        def observe(self, value: float) -> None:
            self.seen.append(value)

    recorder = Recorder()
    observe_many(recorder, [1.0, 2.0])  # type: ignore[arg-type]
    assert recorder.seen == [1.0, 2.0]
