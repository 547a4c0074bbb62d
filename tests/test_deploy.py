"""Deployment manifests: every overlay renders and validates offline, and nothing can drift silently.

Cross-checks: container port = Service targetPort = the configured port; probe paths are real
routes; every RLVR_ variable is a real setting; images agree between compose and Kubernetes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from rlvr.client.environment import VARIABLES as CLIENT_VARIABLES
from rlvr.services.runtime import Settings, create_app
from rlvr.services.runtime.settings import variable_names

ROOT = Path(__file__).resolve().parents[1]
OVERLAYS = ["dev", "prod"]
K8S_VERSION = "1.30"


class _ComposeLoader(yaml.SafeLoader):
    """Reads compose files, whose `!reset` / `!override` tags plain YAML does not know."""


_ComposeLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def render(overlay: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is missing: `make setup` installs it"
    out = subprocess.run(
        [kubectl, "kustomize", str(ROOT / "k8s" / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def compose(name: str = "docker-compose.yml") -> dict[str, Any]:
    return yaml.load((ROOT / name).read_text(), Loader=_ComposeLoader)


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, render(request.param)


def test_every_resource_validates_against_the_kubernetes_schema(rendered) -> None:
    _, docs = rendered
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_ports_agree_container_service_and_settings(rendered) -> None:
    _, docs = rendered
    (config,) = [c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].startswith("rlvr-verifier-config")]
    port = int(config["data"]["RLVR_PORT"])
    services = {s["metadata"]["name"]: s for s in of_kind(docs, "Service")}
    for deployment in of_kind(docs, "Deployment"):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["ports"][0]["containerPort"] == port
        service = services[deployment["metadata"]["name"]]
        assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        assert [p["targetPort"] for p in service["spec"]["ports"]] == [port]
    dockerfile = (ROOT / "docker" / "service.Dockerfile").read_text()
    assert f"RLVR_PORT={port}" in dockerfile and f"EXPOSE {port}" in dockerfile


def test_probe_paths_are_routes_of_the_app(rendered) -> None:
    _, docs = rendered
    routes = set(create_app(Settings()).openapi()["paths"])
    for deployment in of_kind(docs, "Deployment"):
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"]["path"] in routes, probe


# What the code sandbox needs (docs/code-verifier.md): namespaces and loopback, per-slot uids, cleanup.
CODE_SANDBOX_CAPS = ["SYS_ADMIN", "NET_ADMIN", "SETUID", "SETGID", "KILL", "CHOWN"]


def test_verifiers_are_hardened_and_scaled(rendered) -> None:
    overlay, docs = rendered
    for deployment in of_kind(docs, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        caps = container["securityContext"]["capabilities"]
        if deployment["metadata"]["name"] == "verifier-code":  # root only to drop to per-slot uids
            assert pod["securityContext"]["runAsUser"] == 0 and caps.get("add") == CODE_SANDBOX_CAPS
        else:
            assert pod["securityContext"]["runAsNonRoot"] is True and "add" not in caps
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert caps["drop"] == ["ALL"]
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]) and container["resources"]["limits"]
        assert deployment["spec"]["replicas"] >= (1 if overlay == "dev" else 2)
    names = {d["metadata"]["name"] for d in of_kind(docs, "Deployment")}
    assert names == {h["spec"]["scaleTargetRef"]["name"] for h in of_kind(docs, "HorizontalPodAutoscaler")}
    assert names <= {p["metadata"]["name"] for p in of_kind(docs, "PodDisruptionBudget")}


def _grace_s(env: dict[str, str]) -> int:
    """RLVR_SHUTDOWN_GRACE_S as the service reads it (its default when unset), plus the time to reap the pool."""
    from rlvr.services.runtime.settings import SHUTDOWN_REAP_S

    return int(env.get("RLVR_SHUTDOWN_GRACE_S", Settings().shutdown_grace_s)) + SHUTDOWN_REAP_S


def test_pods_get_the_shutdown_grace_and_the_reaping_before_sigkill(rendered) -> None:
    _, docs = rendered
    (config,) = [c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].startswith("rlvr-verifier-config")]
    for deployment in of_kind(docs, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        env = config["data"] | {e["name"]: e["value"] for e in pod["containers"][0].get("env", []) if "value" in e}
        assert pod["terminationGracePeriodSeconds"] >= _grace_s(env), deployment["metadata"]["name"]


def test_compose_verifiers_get_the_shutdown_grace_and_the_reaping_before_sigkill() -> None:
    for name, service in compose()["services"].items():
        env = service.get("environment", {})
        if "RLVR_VERIFIERS" in env:
            period = re.fullmatch(r"(\d+)s", service.get("stop_grace_period", "10s"))  # Docker's default: 10 s
            assert period and int(period.group(1)) >= _grace_s(env), name


def test_trainer_job_reaches_the_service_by_dns_name(rendered) -> None:
    overlay, docs = rendered
    (job,) = of_kind(docs, "Job")
    container = job["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    host = re.match(r"http://([^:/]+):(\d+)", env["RLVR_REWARD_URL"])
    assert host and host.group(1) in {s["metadata"]["name"] for s in of_kind(docs, "Service")}
    gpus = container["resources"].get("requests", {}).get("nvidia.com/gpu")
    assert gpus == (None if overlay == "dev" else 1)
    claims = [
        v["persistentVolumeClaim"]["claimName"]
        for v in job["spec"]["template"]["spec"]["volumes"]
        if "persistentVolumeClaim" in v
    ]
    assert claims and set(claims) <= {p["metadata"]["name"] for p in of_kind(docs, "PersistentVolumeClaim")}


@pytest.mark.parametrize(
    ("target", "source"), [("front-door", "trainer"), ("verifier", "front-door")], ids=["trainers", "front-door"]
)
def test_trainers_reach_only_the_front_door_and_only_it_reaches_verifiers(rendered, target: str, source: str) -> None:
    _, docs = rendered
    policies = [p for p in of_kind(docs, "NetworkPolicy") if "Ingress" in p["spec"]["policyTypes"]]
    (policy,) = [
        p for p in policies if p["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/component": target}
    ]
    (rule,) = policy["spec"]["ingress"]
    pods = [s["podSelector"]["matchLabels"] for s in rule["from"] if "namespaceSelector" not in s]
    assert pods == [{"app.kubernetes.io/component": source}]  # and Prometheus, from any namespace
    components = {
        d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] for d in of_kind(docs, "Deployment")
    }
    assert components == {"front-door", "verifier"}  # every Deployment is behind one of the two policies


def test_the_front_door_routes_to_every_verifier_deployment(rendered) -> None:
    _, docs = rendered
    (front,) = [d for d in of_kind(docs, "Deployment") if d["metadata"]["name"] == "front-door"]
    env = {e["name"]: e.get("value") for e in front["spec"]["template"]["spec"]["containers"][0]["env"]}
    remote = dict(entry.split("=", 1) for entry in env["RLVR_VERIFIERS"].split(",") if "=" in entry)
    services = {s["metadata"]["name"] for s in of_kind(docs, "Service")}
    assert {re.match(r"http://([^:/]+):8000$", url).group(1) for url in remote.values()} <= services
    assert set(remote) == {"gsm8k", "math", "code", "ifeval"}


def test_code_verifier_pods_have_no_egress(rendered) -> None:
    _, docs = rendered
    (deployment,) = [d for d in of_kind(docs, "Deployment") if d["metadata"]["name"] == "verifier-code"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    policies = [
        p for p in of_kind(docs, "NetworkPolicy") if p["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    ]
    egress = [p for p in policies if "Egress" in p["spec"]["policyTypes"]]
    assert egress and all(p["spec"].get("egress", []) == [] for p in egress)


def test_code_verifier_compose_service_matches_kubernetes() -> None:
    service = compose()["services"]["code"]
    assert service["cap_drop"] == ["ALL"] and service["cap_add"] == CODE_SANDBOX_CAPS
    assert service["environment"]["RLVR_VERIFIERS"] == "code" and service["ports"] == ["8002:8002"]


def test_every_rlvr_variable_is_a_real_setting() -> None:
    fields = set(variable_names()) | set(CLIENT_VARIABLES)  # the trainer's (rlvr.client.environment)
    texts = [
        (ROOT / "docker-compose.yml").read_text(),
        (ROOT / "deploy" / "ci" / "docker-compose.ci.yml").read_text(),
    ]
    texts += [p.read_text() for p in (ROOT / "k8s").rglob("*.yaml")]
    texts += [(ROOT / "docker" / "service.Dockerfile").read_text()]
    used = {m for text in texts for m in re.findall(r"\bRLVR_[A-Z_]+\b", text)}
    assert used and used <= fields, sorted(used - fields)


def test_images_agree_between_compose_and_kubernetes() -> None:
    services = compose()["services"]
    compose_images = {s["image"] for s in services.values() if s.get("image", "").startswith("rlvr/")}
    kustomization = yaml.safe_load((ROOT / "k8s" / "base" / "kustomization.yaml").read_text())
    k8s_images = {f"{i['name']}:${{IMAGE_TAG:-{i['newTag']}}}" for i in kustomization["images"]}
    assert compose_images == k8s_images
    for overlay in OVERLAYS:
        used = {
            c["image"]
            for d in render(overlay)
            if d["kind"] in ("Deployment", "Job")
            for c in d["spec"]["template"]["spec"]["containers"]
        }
        assert used <= {f"{i['name']}:{i['newTag']}" for i in kustomization["images"]}


def test_compose_healthcheck_port_matches_each_service() -> None:
    for name, service in compose()["services"].items():
        if "healthcheck" in service and "RLVR_PORT" in service.get("environment", {}):
            port = service["environment"]["RLVR_PORT"]
            published = [p.split(":")[-1] for p in service.get("ports", [])]
            assert published == [port], name


def test_readme_shows_the_commands_the_tests_run() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "kubectl apply -k k8s/overlays/prod" in readme
    assert "docker compose up -d" in readme and "deploy/ci/compose-smoke.sh" in readme


# The README's compose lines after the first three, as the smoke test runs them: its compose command,
# its run directory (the first run's, resumed and copied).
SMOKE_FORM = {
    "docker compose": '"${compose[@]}"',
    "/runs/cpu-demo": "/runs/smoke-open",
    " cpu-demo |": " smoke-open |",
}


def test_readme_resume_and_copy_out_are_what_the_compose_smoke_runs() -> None:
    readme = (ROOT / "README.md").read_text().split("## Docker Compose", 1)[1]
    commands = [line.split("  #")[0].strip() for line in readme.split("```bash\n", 1)[1].split("```")[0].splitlines()]
    later = [c for c in commands if c.startswith("docker compose run") and ("--resume" in c or "tar -xf" in c)]
    assert len(later) == 2, commands
    smoke = (ROOT / "deploy" / "ci" / "compose-smoke.sh").read_text()
    for command in later:
        for readme_form, smoke_form in SMOKE_FORM.items():
            command = command.replace(readme_form, smoke_form)
        assert command in smoke, command
    assert "--max-steps 1" in readme and "18000" in readme  # what the smoke does differently, said


def test_readme_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    names = variable_names()
    missing = [name for name in names if f"`{name}`" not in readme]
    assert not missing, f"README's settings table lacks {missing}"


def test_ifeval_verifier_is_deployed_on_its_own(rendered) -> None:
    # compose: its own service and port; Kubernetes: its own Deployment, Service, HPA and PDB
    service = compose()["services"]["ifeval"]
    assert service["environment"]["RLVR_VERIFIERS"] == "ifeval" and service["ports"] == ["8003:8003"]
    assert service["image"] == compose()["services"]["math"]["image"]  # the verifier image, no sandbox
    _, docs = rendered
    (deployment,) = [d for d in of_kind(docs, "Deployment") if d["metadata"]["name"] == "verifier-ifeval"]
    env = {e["name"]: e.get("value") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["RLVR_VERIFIERS"] == "ifeval"
    for kind in ("Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
        assert "verifier-ifeval" in {d["metadata"]["name"] for d in of_kind(docs, kind)}, kind
