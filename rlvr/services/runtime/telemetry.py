"""Operator metrics beside the service's own (metrics.py): completion length by verifier and status, and
the layers a sandboxed verifier (code) runs with. The alert rules and dashboard that read them are in
deploy/monitoring/ (docs/operations.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from prometheus_client import CollectorRegistry, Gauge, Histogram

from rlvr.services.protocol import Status
from rlvr.services.runtime.histograms import observe_many
from rlvr.services.verifiers.outcome import Outcome

# Characters: a one-line answer, a worked solution, a program, up to the 256 KiB an inline item may have.
CHAR_BUCKETS = (64, 256, 1024, 4096, 16384, 65536, 262144, 1048576)


class OpsMetrics:
    """Completion length (to see timeouts concentrate on long completions) and sandbox layers."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.completion_chars = Histogram(
            "rlvr_completion_chars",
            "Completion length in characters, by verifier and result status.",
            ["verifier", "status"],
            buckets=CHAR_BUCKETS,
            registry=registry,
        )
        self.sandbox_layers = Gauge(
            "rlvr_sandbox_layers",
            "Sandbox layers a verifier runs with (probed at start), by verifier and sandbox mode.",
            ["verifier", "mode"],
            registry=registry,
        )
        self.sandbox_layer = Gauge(
            "rlvr_sandbox_layer",
            "1 for each sandbox layer a verifier has; 0 for one RLVR_EXPECTED_SANDBOX_LAYERS names that it lacks.",
            ["verifier", "layer"],
            registry=registry,
        )

        self.inflight_bytes = Gauge(
            "rlvr_inflight_body_bytes", "Body bytes of the scoring requests being read or scored.", registry=registry
        )
        self.inflight_bytes_limit = Gauge(
            "rlvr_inflight_body_bytes_limit", "RLVR_MAX_INFLIGHT_BYTES: more in flight gets 429.", registry=registry
        )

    def track_inflight(self, read: Callable[[], float], limit: int) -> None:
        """Read the in-flight body bytes at each scrape (no update on the request path)."""
        self.inflight_bytes.set_function(read)
        self.inflight_bytes_limit.set(limit)

    def observe_lengths(self, verifier: str, completions: Iterable[str], outcomes: Iterable[Outcome]) -> None:
        """Count each item's completion length under its outcome's status."""
        by_status: dict[Status, list[int]] = {}
        for completion, outcome in zip(completions, outcomes, strict=True):
            by_status.setdefault(outcome.status, []).append(len(completion))
        for status, lengths in by_status.items():
            observe_many(self.completion_chars.labels(verifier, status.value), lengths)

    def export_sandboxes(self, details: Mapping[str, Mapping[str, object]], expected: Sequence[str]) -> None:
        """Gauges from each verifier's `details()["sandbox"]` (mode, layers); verifiers without one export none.

        >>> registry = CollectorRegistry()
        >>> OpsMetrics(registry).export_sandboxes({"code": {"sandbox": {"layers": ["rlimits"]}}}, ["rlimits", "fs"])
        >>> registry.get_sample_value("rlvr_sandbox_layer", {"verifier": "code", "layer": "fs"})
        0.0
        """
        for verifier, facts in details.items():
            sandbox = facts.get("sandbox")
            if not isinstance(sandbox, Mapping):
                continue
            layers = [str(layer) for layer in sandbox.get("layers") or ()]
            self.sandbox_layers.labels(verifier, str(sandbox.get("mode", "unknown"))).set(len(layers))
            for layer in {*layers, *expected}:
                self.sandbox_layer.labels(verifier, layer).set(1.0 if layer in layers else 0.0)
