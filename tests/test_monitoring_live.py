"""The dashboard and the alert rules against the real thing: Debian's Prometheus scrapes a real `rlvr serve`
(gsm8k, math, code, and as a front door a remote ifeval whose service is down) every second while a short
mixed load runs (scored, flagged, cached, timed-out items, a killed worker, 429s, items for the dead
upstream); then every panel's query and every rule's signal must return data, and every metric name they
use must exist. Bounded: about 30 s here."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from rlvr.services import sandbox
from rlvr.testing.processes import free_port, serve_process
from tests.code_cases import STDIO, require_sandbox
from tests.monitoring import RULES, binary, panel_queries, rules, signals

SCORING_ITEMS = {
    "gsm8k": [
        {"completion": "9 * 2 = 18\n#### 18", "reference": "18"},
        {"completion": "#### 17", "reference": "18"},
        {"completion": "#### 18 or 20", "reference": "18"},  # flagged
        {"completion": "no idea", "reference": "18"},  # no_answer
    ],
    "math": [{"completion": "\\boxed{\\frac{1}{2}}", "reference": "0.5"}, {"completion": "0.5", "reference": "0.5"}],
    "code": [
        {"completion": "```python\na, b = map(int, input().split())\nprint(a + b)\n```", "reference": STDIO},
        {"completion": "```python\nprint(7)\n```", "reference": STDIO},
    ],
}
# Long and slow: 5000 characters of padding around a SymPy bomb, killed at the 1 s item deadline.
HOSTILE = {"completion": "x" * 5000 + " \\boxed{9^{9^{9^{9}}}}", "reference": "1"}
IFEVAL = json.dumps({"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]})


class Prometheus:
    """Debian's prometheus on 127.0.0.1, scraping one target every second, with rules.yml loaded."""

    def __init__(self, target: str, storage: Path) -> None:
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(RULES)],
            "scrape_configs": [{"job_name": "rlvr-test", "static_configs": [{"targets": [target]}]}],
        }
        (storage / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.url = f"http://127.0.0.1:{free_port()}"
        self.proc = subprocess.Popen(
            [
                binary("prometheus"),
                f"--config.file={storage / 'prometheus.yml'}",
                f"--storage.tsdb.path={storage / 'data'}",
                f"--web.listen-address={self.url.removeprefix('http://')}",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait_ready(self, timeout_s: float = 20) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited: {self.proc.stderr.read().decode() if self.proc.stderr else ''}")
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("prometheus did not become ready")

    def instant(self, expr: str) -> list[dict]:
        reply = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10).json()
        assert reply["status"] == "success", (expr, reply)
        return reply["data"]["result"]

    def range(self, expr: str, start: float, end: float) -> list[dict]:
        params = {"query": expr, "start": start, "end": end, "step": 1}
        reply = httpx.get(f"{self.url}/api/v1/query_range", params=params, timeout=10).json()
        assert reply["status"] == "success", (expr, reply)
        return reply["data"]["result"]

    def names(self) -> set[str]:
        return set(httpx.get(f"{self.url}/api/v1/label/__name__/values", timeout=10).json()["data"])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def score(url: str, verifier: str, items: list[dict], deadline_s: float = 30) -> httpx.Response:
    return httpx.post(f"{url}/score", json={"verifier": verifier, "items": items, "deadline_s": deadline_s}, timeout=60)


def inflight(url: str) -> float:
    line = re.search(r"^rlvr_inflight_score_requests (\S+)$", httpx.get(f"{url}/metrics").text, re.M)
    return float(line.group(1)) if line else 0.0


def refuse_some(url: str) -> int:
    """While a slow request holds the only slot (RLVR_MAX_CONCURRENT_REQUESTS=1), others get 429."""
    slow = threading.Thread(target=score, args=(url, "math", [HOSTILE]))
    slow.start()
    deadline = time.monotonic() + 10
    while inflight(url) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    codes = [score(url, "gsm8k", SCORING_ITEMS["gsm8k"]).status_code for _ in range(3)]
    slow.join()
    return codes.count(429)


def drive(url: str) -> None:
    """One round of mixed load: scored, flagged and cached items of every verifier, a time-limited program,
    a long completion timing out (and its worker killed), 429s."""
    for verifier, items in SCORING_ITEMS.items():
        for _ in range(2):  # the second time from the cache
            assert score(url, verifier, items).status_code == 200
    limited = {
        "completion": "```python\nwhile True: pass\n```",
        "reference": json.dumps({"time_limit_s": 0.3, "tests": [{"stdin": "", "stdout": "1"}]}),
    }
    assert score(url, "code", [limited]).json()["results"][0]["flags"] == ["time_limit"]
    [unjudged] = score(url, "ifeval", [{"completion": "Hi.", "reference": IFEVAL}]).json()["results"]
    assert unjudged["status"] == "error" and "upstream" in unjudged["error"], unjudged
    assert refuse_some(url) > 0


@pytest.fixture(scope="module")
def scraped() -> Iterator[tuple[Prometheus, float]]:
    """Prometheus that has scraped three rounds of load; yields it and when the load started."""
    require_sandbox()
    binary("prometheus")
    layers = ",".join(sandbox.detect().layers)
    env = {
        # ifeval's service is down (nothing listens on its port): RlvrUpstream*'s series
        "RLVR_VERIFIERS": f"gsm8k,math,code,ifeval=http://127.0.0.1:{free_port()}",
        "RLVR_ITEM_DEADLINE_S": "1",
        "RLVR_MAX_CONCURRENT_REQUESTS": "1",
        "RLVR_VERDICT_CACHE_BYTES": "8388608",  # off by default
        "RLVR_EXPECTED_SANDBOX_LAYERS": f"{layers},made-up-layer",  # one missing: RlvrSandboxLayerMissing's series
    }
    with serve_process(env) as (_, url), tempfile.TemporaryDirectory() as storage:
        prometheus = Prometheus(url.removeprefix("http://"), Path(storage))
        try:
            prometheus.wait_ready()
            started = time.time()
            for _ in range(3):
                drive(url)
                seen = len(prometheus.instant("rlvr_items_total"))
                scraped_at = time.time()
                while time.time() < scraped_at + 10:  # the next scrape, then one rule evaluation
                    last = prometheus.instant("max(timestamp(rlvr_items_total))")
                    if seen and last and float(last[0]["value"][1]) > scraped_at + 1:
                        break
                    time.sleep(0.2)
            yield prometheus, started
        finally:
            prometheus.stop()


def dashboard_expr(expr: str) -> str:
    """A panel's query as Grafana sends it: every verifier, a rate window that spans a few scrapes."""
    return expr.replace("$verifier", ".*").replace("$__rate_interval", "15s")


@pytest.mark.parametrize(("title", "expr", "_legend"), panel_queries(), ids=[t for t, _, _ in panel_queries()])
def test_every_dashboard_query_returns_data(
    scraped: tuple[Prometheus, float], title: str, expr: str, _legend: str
) -> None:
    prometheus, started = scraped
    result = prometheus.range(dashboard_expr(expr), started, time.time())
    values = [float(v) for s in result for _, v in s["values"] if v not in ("NaN", "+Inf", "-Inf")]
    assert values, f"{title}: {expr} returned no data"


@pytest.mark.parametrize("rule", rules(), ids=[r.get("alert") or r["record"] for r in rules()])
def test_every_rule_signal_returns_data(scraped: tuple[Prometheus, float], rule: dict) -> None:
    prometheus, _ = scraped
    for signal in signals(rule["expr"]):
        assert prometheus.instant(signal), f"{rule.get('alert') or rule['record']}: {signal} returned no data"


def test_every_metric_name_in_the_files_exists(scraped: tuple[Prometheus, float]) -> None:
    prometheus, _ = scraped
    texts = [expr for _, expr, _ in panel_queries()] + [rule["expr"] for rule in rules()]
    used = {name for text in texts for name in re.findall(r"\b(?:rlvr_\w+|\w+:rlvr_\w+:\w+)\b", text)}
    assert used and used <= prometheus.names(), sorted(used - prometheus.names())


def test_the_missing_sandbox_layer_fires(scraped: tuple[Prometheus, float]) -> None:
    prometheus, _ = scraped
    (missing,) = prometheus.instant(rules_expr("RlvrSandboxLayerMissing"))
    assert missing["metric"]["layer"] == "made-up-layer"


def test_the_dead_upstream_is_down_and_failing(scraped: tuple[Prometheus, float]) -> None:
    prometheus, _ = scraped
    for alert in ("RlvrUpstreamDown", "RlvrUpstreamFailing"):
        (failing,) = prometheus.instant(rules_expr(alert))
        assert failing["metric"]["upstream"] == "ifeval", alert


def rules_expr(alert: str) -> str:
    (rule,) = [r for r in rules() if r.get("alert") == alert]
    return str(rule["expr"])


if os.environ.get("RLVR_DASHBOARD_PNG"):  # a developer redrawing docs/img/dashboard.png from a real run

    def test_draw_the_dashboard(scraped: tuple[Prometheus, float]) -> None:
        from tests.monitoring import draw_dashboard

        prometheus, started = scraped
        end = time.time()
        results: dict[str, list[tuple[str, dict]]] = {}
        for title, expr, legend in panel_queries():
            found = prometheus.range(dashboard_expr(expr), started, end)
            results.setdefault(title, []).extend((legend, series) for series in found)
        draw_dashboard(results, Path(os.environ["RLVR_DASHBOARD_PNG"]))
