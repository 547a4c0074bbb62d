"""The monitoring files: rules valid and unit-tested by promtool, generated files up to date, the
Kubernetes resources valid, compose's Prometheus and Grafana wired to every verifier service."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.monitoring import DASHBOARD, MONITORING, ROOT, RULES, binary, rules
from tests.test_deploy import K8S_VERSION, compose, of_kind, render

PROMETHEUS_RULE = ROOT / "k8s" / "monitoring" / "prometheusrule.yaml"


def k8s_monitoring() -> list[dict[str, Any]]:
    out = subprocess.run(
        ["kubectl", "kustomize", str(ROOT / "k8s" / "monitoring")], capture_output=True, text=True, check=True
    )
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def test_promtool_accepts_the_rules() -> None:
    out = subprocess.run([binary("promtool"), "check", "rules", str(RULES)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"SUCCESS: {len(rules())} rules found" in out.stdout


def test_promtool_unit_tests_of_the_rules_pass() -> None:
    out = subprocess.run(
        [binary("promtool"), "test", "rules", "rules.test.yml"], cwd=MONITORING, capture_output=True, text=True
    )
    assert out.returncode == 0 and "SUCCESS" in out.stdout, out.stdout + out.stderr


def test_every_alert_is_unit_tested_and_documented() -> None:
    tested = {
        t["alertname"]
        for case in yaml.safe_load((MONITORING / "rules.test.yml").read_text())["tests"]
        for t in case.get("alert_rule_test", [])
        if t["exp_alerts"]
    }
    alerts = {rule["alert"] for rule in rules() if "alert" in rule}
    assert alerts and alerts == tested
    operations = (ROOT / "docs" / "operations.md").read_text()
    for rule in rules():
        if "alert" in rule:
            assert f"### {rule['alert']}" in operations
            assert rule["annotations"]["runbook"] == f"docs/operations.md#{rule['alert'].lower()}"


def test_generated_files_are_up_to_date() -> None:
    out = subprocess.run(
        [sys.executable, str(MONITORING / "build.py"), "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr


def test_the_prometheus_rule_holds_exactly_the_rules_file() -> None:
    (rule,) = [d for d in k8s_monitoring() if d["kind"] == "PrometheusRule"]
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["spec"]["groups"] == yaml.safe_load(RULES.read_text())["groups"]


def test_the_dashboard_configmap_validates_and_holds_the_dashboard() -> None:
    (config,) = [d for d in k8s_monitoring() if d["kind"] == "ConfigMap"]
    kubernetes_validate.validate(config, K8S_VERSION, strict=True)
    assert config["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(config["data"]["rlvr.json"]) == json.loads(DASHBOARD.read_text())


def test_the_pod_monitor_selects_every_verifier_pod_by_its_port() -> None:
    (monitor,) = [d for d in k8s_monitoring() if d["kind"] == "PodMonitor"]
    (expression,) = monitor["spec"]["selector"]["matchExpressions"]
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    deployments = of_kind(render("prod"), "Deployment")
    names = {d["metadata"]["name"] for d in deployments}
    assert names == {"front-door", "verifier-gsm8k", "verifier-math", "verifier-code", "verifier-ifeval"}
    assert expression["operator"] == "In"
    for deployment in deployments:
        template = deployment["spec"]["template"]
        assert template["metadata"]["labels"][expression["key"]] in expression["values"]
        assert monitor["spec"]["jobLabel"] in template["metadata"]["labels"]
        assert endpoint["port"] in [p["name"] for p in template["spec"]["containers"][0]["ports"]]
        assert endpoint["path"] == "/metrics"


def test_compose_prometheus_scrapes_every_verifier_service() -> None:
    services = compose()["services"]
    verifiers = {
        f"{name}:{s['environment']['RLVR_PORT']}"
        for name, s in services.items()
        if "RLVR_VERIFIERS" in s.get("environment", {})
    }
    assert verifiers == {"reward:8000", "math:8001", "code:8002", "ifeval:8003"}
    config = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    jobs = {j["job_name"]: [t for sc in j["static_configs"] for t in sc["targets"]] for j in config["scrape_configs"]}
    assert sorted(t for targets in jobs.values() for t in targets) == sorted(verifiers)
    assert all(len(targets) == 1 for targets in jobs.values()), jobs  # `job` names one service in rules and panels
    mounts = dict(v.rsplit(":", 2)[:2] for v in services["prometheus"]["volumes"])
    assert config["rule_files"] == [mounts["./deploy/monitoring/rules.yml"]]


def test_promtool_accepts_the_compose_prometheus_config(tmp_path: Path) -> None:
    config = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    config["rule_files"] = [str(RULES)]  # the path it is mounted at in the container
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    out = subprocess.run(
        [binary("promtool"), "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("kind", ["datasources", "dashboards"])
def test_compose_grafana_is_provisioned_from_files(kind: str) -> None:
    grafana = compose()["services"]["grafana"]
    assert grafana["profiles"] == ["monitoring"]
    mounts = dict(v.rsplit(":", 2)[:2] for v in grafana["volumes"])
    assert mounts["./deploy/monitoring/grafana/provisioning"] == "/etc/grafana/provisioning"
    (path,) = (MONITORING / "grafana" / "provisioning" / kind).glob("*.yml")
    config = yaml.safe_load(path.read_text())
    if kind == "datasources":
        (source,) = config["datasources"]
        port = compose()["services"]["prometheus"]["ports"][0].split(":")[-1]
        assert (source["type"], source["url"]) == ("prometheus", f"http://prometheus:{port}")
    else:
        (provider,) = config["providers"]
        assert mounts[f"./{DASHBOARD.parent.relative_to(ROOT)}"] == provider["options"]["path"]
