"""Readiness is polled, never slept for: wait for a condition, or for a metric of a running service.

wait_until(lambda: metric_value(url, "rlvr_inflight_score_requests") == 1, what="the request admitted")
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families


def wait_until(condition: Callable[[], bool], timeout_s: float = 30.0, what: str = "the condition") -> None:
    """Return once `condition()` holds; TimeoutError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout_s:g}s")
        time.sleep(0.01)


def metric_value(url: str, name: str, **labels: str) -> float:
    """The value of one sample on the service's `/metrics` (0 when it has not appeared yet)."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0
