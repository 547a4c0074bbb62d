"""The demo's service: it hosts every verifier the recipe needs, and is started, ready, and stopped on
success, failure and Ctrl-C."""

from __future__ import annotations

import httpx
import pytest

from rlvr.trainer.config import TrainConfig
from rlvr.trainer.demo import demo_verifiers, managed_service
from tests.code_cases import require_sandbox


def _is_up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_service_is_ready_inside_and_stopped_after() -> None:
    with managed_service() as url:
        assert _is_up(url)
        reply = httpx.post(f"{url}/score", json={"items": [{"completion": "#### 2", "reference": "2"}]})
        assert reply.json()["results"][0]["reward"] == 1.5
    assert not _is_up(url)


@pytest.mark.parametrize("error", [RuntimeError("training failed"), KeyboardInterrupt()])
def test_service_is_stopped_when_the_demo_fails(error: BaseException) -> None:
    seen = {}
    with pytest.raises(type(error)), managed_service() as url:
        seen["url"] = url
        raise error
    assert not _is_up(seen["url"])


@pytest.mark.parametrize(
    ("recipe", "data", "expected"),
    [
        ("configs/cpu-demo.yaml", None, ["gsm8k"]),
        ("configs/mixed-cpu-demo.yaml", None, ["gsm8k", "code"]),
        ("configs/cpu-demo.yaml", "synthetic=0.5,code-stdio=0.5", ["gsm8k", "code"]),  # `rlvr demo --data`
        ("configs/two-verifiers.yaml", None, ["gsm8k", "math"]),  # each endpoint's verifier, too
    ],
)
def test_the_demo_hosts_the_verifiers_of_the_recipe(recipe: str, data: str | None, expected: list[str]) -> None:
    assert demo_verifiers(TrainConfig.from_yaml(recipe, data=data)) == expected


def test_a_mixed_recipes_demo_service_hosts_every_verifier_its_data_needs() -> None:
    require_sandbox()  # the code verifier runs programs in its sandbox
    needed = demo_verifiers(TrainConfig.from_yaml("configs/mixed-cpu-demo.yaml"))
    with managed_service(needed) as url:
        hosted = {v["name"] for v in httpx.get(f"{url}/verifiers", timeout=10).json()["verifiers"]}
    assert hosted == {"gsm8k", "code"}
