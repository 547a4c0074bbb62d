"""The rlvr Grafana dashboard, built with grafana-foundation-sdk's typed builders (Grafana 11.6 schema).

`python deploy/monitoring/build.py` writes it to deploy/monitoring/grafana/dashboards/rlvr.json and into
k8s/monitoring/grafana-dashboard.yaml; tests/test_monitoring_files.py fails when those are stale.
Queries read the services' own metrics (rlvr/services/runtime/metrics.py, telemetry.py, cache.py) only,
so the dashboard works on a Prometheus that has not loaded deploy/monitoring/rules.yml.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard, heatmap, prometheus, stat, timeseries
from grafana_foundation_sdk.builders.common import VizLegendOptions
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.dashboard import DashboardCursorSync, DataSourceRef, Panel, VariableRefresh
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

UID = "rlvr-verifiers"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
SCORING = 'route=~"/score|/invocations|/verify|/adapters/.+"'
V = 'verifier=~"$verifier"'
RI = "$__rate_interval"


def query(expr: str, legend: str) -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).range()


def series(title: str, unit: str, description: str, *queries: prometheus.Dataquery) -> timeseries.Panel:
    """A time-series panel, legend as a table with the last and max values."""
    panel = timeseries.Panel().title(title).unit(unit).description(description).datasource(DATASOURCE)
    legend = VizLegendOptions().display_mode(common.LegendDisplayMode.TABLE).placement(common.LegendPlacement.BOTTOM)
    panel = panel.legend(legend.show_legend(True).calcs(["lastNotNull", "max"])).height(8).span(12)
    for q in queries:
        panel = panel.with_target(q)
    return panel


def panels() -> list[tuple[str, list[Builder[Panel]]]]:
    """Rows of panels, in order."""
    items = f"sum by (verifier) (rate(rlvr_items_total{{{V}}}[{RI}]))"
    throughput: list[Builder[Panel]] = [
        series(
            "Items/s by verifier and status",
            "ops",
            "Items scored per second; `timeout` and `error` items get no reward.",
            query(f"sum by (verifier, status) (rate(rlvr_items_total{{{V}}}[{RI}]))", "{{verifier}} {{status}}"),
        ),
        series(
            "Reward component means",
            "short",
            "Mean value of each reward component over scored items (per verifier).",
            query(
                f"sum by (verifier, component) (rate(rlvr_reward_component_sum{{{V}}}[{RI}]))"
                f" / sum by (verifier, component) (rate(rlvr_reward_component_count{{{V}}}[{RI}]))",
                "{{verifier}} {{component}}",
            ),
        ),
        series(
            "Flags per item (reward-hacking watch)",
            "percentunit",
            "Share of items carrying each flag. A flag jumping against its own past is what alert "
            "RlvrFlagRateJump watches: the policy may be gaming the verifier.",
            query(
                f"sum by (verifier, flag) (rate(rlvr_flags_total{{{V}}}[{RI}])) / on (verifier) group_left {items}",
                "{{verifier}} {{flag}}",
            ),
        ),
        series(
            "Unscored fraction",
            "percentunit",
            "Share of items that came back `timeout` or `error` (alert RlvrUnscoredFractionHigh above 5%).",
            query(
                f'sum by (verifier) (rate(rlvr_items_total{{{V}, status!="scored"}}[{RI}])) / {items}',
                "{{verifier}}",
            ),
        ),
    ]
    latency: list[Builder[Panel]] = [
        series(
            "Scoring latency p50 / p99",
            "s",
            "Per service (job) and scoring route; alert RlvrScoreLatencyP99High above 20 s.",
            *(
                query(
                    f"histogram_quantile({q}, sum by (job, route, le) "
                    f"(rate(rlvr_request_latency_seconds_bucket{{{SCORING}}}[{RI}])))",
                    f"p{round(q * 100)} {{{{job}}}} {{{{route}}}}",
                )
                for q in (0.5, 0.99)
            ),
        ),
        series(
            "Refused with 429 per second",
            "reqps",
            "Scoring requests refused as overloaded (alert RlvrOverloaded above 10% of them).",
            query('sum by (job) (rate(rlvr_requests_total{code="429"}[' + RI + "]))", "{{job}}"),
        ),
        series(
            "In-flight body bytes",
            "bytes",
            "Bodies of the requests being read or scored, against RLVR_MAX_INFLIGHT_BYTES (beyond it: 429).",
            query("sum by (job) (rlvr_inflight_body_bytes)", "{{job}}"),
            query("max by (job) (rlvr_inflight_body_bytes_limit)", "{{job}} limit"),
        ),
        series(
            "In-flight scoring requests",
            "short",
            "Scoring requests admitted and not yet answered (RLVR_MAX_CONCURRENT_REQUESTS caps them).",
            query("sum by (job) (rlvr_inflight_score_requests)", "{{job}}"),
        ),
        series(
            "Front door: upstream verifiers",
            "short",
            "Each remote verifier's service: 1 when it answered the front door's last request (alert "
            "RlvrUpstreamDown at 0), and failed requests per second by outcome (alert RlvrUpstreamFailing).",
            query("min by (job, upstream) (rlvr_upstream_up)", "{{upstream}} up"),
            query(
                f'sum by (upstream, outcome) (rate(rlvr_upstream_requests_total{{outcome!="ok"}}[{RI}]))',
                "{{upstream}} {{outcome}}/s",
            ),
        ),
    ]
    workers: list[Builder[Panel]] = [
        series(
            "Worker restarts",
            "short",
            "Pool workers killed after an item outlived its deadline (alert RlvrWorkerRestarts above 5 in 15 min).",
            query(f"sum by (job, instance) (increase(rlvr_worker_restarts_total[{RI}]))", "{{instance}}"),
        ),
        heatmap.Panel()
        .title("Timeouts by completion length (characters)")
        .description(
            "Timed-out items per second by completion length: timeouts piling up in the top rows mean "
            "long completions outlive the deadline (alert RlvrTimeoutsOnLongCompletions)."
        )
        .datasource(DATASOURCE)
        .with_target(
            query(f'sum by (le) (rate(rlvr_completion_chars_bucket{{{V}, status="timeout"}}[{RI}]))', "{{le}}").format(
                PromQueryFormat.HEATMAP
            )
        )
        .height(8)
        .span(12),
        series(
            "Verdict cache hit rate",
            "percentunit",
            "Share of items served from the per-process verdict cache (RLVR_VERDICT_CACHE_BYTES).",
            query(
                f'sum by (verifier) (rate(rlvr_verdict_cache_lookups_total{{{V}, result="hit"}}[{RI}]))'
                f" / sum by (verifier) (rate(rlvr_verdict_cache_lookups_total{{{V}}}[{RI}]))",
                "{{verifier}}",
            ),
        ),
        stat.Panel()
        .title("Sandbox layers")
        .description(
            "Layers each sandboxed verifier runs with, by mode; a 0 in rlvr_sandbox_layer is a missing "
            "expected layer (alert RlvrSandboxLayerMissing)."
        )
        .datasource(DATASOURCE)
        .with_target(query(f"max by (verifier, mode) (rlvr_sandbox_layers{{{V}}})", "{{verifier}} {{mode}}"))
        .height(8)
        .span(12),
    ]
    return [
        ("Throughput and rewards", throughput),
        ("Latency and load", latency),
        ("Workers, timeouts, cache", workers),
    ]


def build() -> dashboard.Dashboard:
    """The dashboard, with a datasource and a verifier variable."""
    board = (
        dashboard.Dashboard("rlvr verifiers")
        .uid(UID)
        .description("Reward verifier services: throughput, rewards, flags, latency, load, upstreams, timeouts, cache.")
        .tags(["rlvr"])
        .refresh("30s")
        .time("now-1h", "now")
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .with_variable(dashboard.DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
        .with_variable(
            dashboard.QueryVariable("verifier")
            .label("Verifier")
            .datasource(DATASOURCE)
            .query("label_values(rlvr_items_total, verifier)")
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
            .multi(True)
            .include_all(True)
            .all_value(".*")
        )
    )
    for title, row in panels():
        board = board.with_row(dashboard.Row(title))
        for panel in row:
            board = board.with_panel(panel)
    return board
