"""Prometheus metrics of one app, on a registry of its own (tests build several apps per process)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from rlvr.services.protocol import Status
from rlvr.services.runtime.histograms import observe_many
from rlvr.services.runtime.telemetry import OpsMetrics
from rlvr.services.verifiers.outcome import Outcome

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_REWARD_BUCKETS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 5.0)


class Metrics:
    """The service's counters and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "rlvr_requests", "HTTP requests by route and status code.", ["route", "code"], registry=r
        )
        self.latency = Histogram(
            "rlvr_request_latency_seconds",
            "Request latency by route.",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.inflight = Gauge("rlvr_inflight_score_requests", "Scoring requests in flight.", registry=r)
        self.items = Counter("rlvr_items", "Scored items by verifier and status.", ["verifier", "status"], registry=r)
        self.components = Histogram(
            "rlvr_reward_component",
            "Reward component values by verifier.",
            ["verifier", "component"],
            buckets=_REWARD_BUCKETS,
            registry=r,
        )
        self.flags = Counter("rlvr_flags", "Flags raised by verifier and flag.", ["verifier", "flag"], registry=r)
        self.disconnects = Counter(
            "rlvr_client_disconnects", "Scoring requests whose client left before the answer; work dropped.", registry=r
        )
        self.adapter_items = Counter(
            "rlvr_adapter_items",
            "Items scored through another trainer's protocol, by adapter and status (timeout/error: not judged).",
            ["adapter", "status"],
            registry=r,
        )
        self.deduplicated = Counter(
            "rlvr_deduplicated_items",
            "Items not run because an identical (program, reference) pair in the same request was.",
            ["verifier"],
            registry=r,
        )
        self._upstreams(r)  # the front door's remote verifiers (remote.py)
        self.worker_restarts = Counter(
            "rlvr_worker_restarts", "Pool workers killed and replaced after a deadline.", registry=r
        )
        self.ops = OpsMetrics(r)  # completion length, sandbox layers (telemetry.py)

    def _upstreams(self, r: CollectorRegistry) -> None:
        self.upstream_requests = Counter(
            "rlvr_upstream_requests",
            "Requests the front door sent to remote verifiers, by verifier and outcome (ok, error, timeout).",
            ["upstream", "outcome"],
            registry=r,
        )
        self.upstream_latency = Histogram(
            "rlvr_upstream_latency_seconds",
            "Latency of the front door's requests to remote verifiers.",
            ["upstream"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.upstream_up = Gauge(
            "rlvr_upstream_up",
            "Whether a remote verifier's upstream answered its last request.",
            ["upstream"],
            registry=r,
        )

    def observe_outcomes(self, verifier: str, outcomes: Iterable[Outcome]) -> None:
        """Count one batch of outcomes (status, components, flags), each series updated once per batch."""
        statuses: dict[Status, int] = {}
        flags: dict[str, int] = {}
        per_component: dict[str, list[float]] = {}
        for outcome in outcomes:
            status = outcome.status
            statuses[status] = statuses.get(status, 0) + 1
            for flag in outcome.flags:
                flags[flag] = flags.get(flag, 0) + 1
            if status is Status.SCORED:
                for name, value in outcome.components.items():
                    per_component.setdefault(name, []).append(value)
        for status, n in statuses.items():
            self.items.labels(verifier, status.value).inc(n)
        for flag, n in flags.items():
            self.flags.labels(verifier, flag).inc(n)
        for name, values in per_component.items():
            observe_many(self.components.labels(verifier, name), values)
