"""What the pages state, checked against the code: no path outside the repository, a real example per
verifier page, and the deadlines and retries each integration page gives (tests/test_docs.py runs the blocks).

    .venv/bin/pytest -q tests/test_docs_facts.py
"""

from __future__ import annotations

import inspect
import re
import subprocess
from dataclasses import fields

import pytest

from rlvr.client import Endpoint, RewardClient
from rlvr.services.runtime import Settings
from tests.docs_runner import ROOT, SYBIL
from tests.test_docs import LEFT_OUT

USER_FACING = ["README.md", "docs/", "rlvr/", "configs/", "Makefile"]
OUTSIDE = ["../shared", "shared/data", "DESIGN.md"]
INTEGRATIONS = ROOT / "docs" / "integrations"
OPENRLHF = ROOT / ".venv" / "lib"


def test_nothing_user_facing_points_outside_the_repository() -> None:
    patterns = [arg for text in OUTSIDE for arg in ("-e", text)]
    found = subprocess.run(["grep", "-rnF", *patterns, *USER_FACING], cwd=ROOT, capture_output=True, text=True)
    assert found.returncode == 1, f"user-facing text names a folder users do not have:\n{found.stdout}"


@pytest.mark.parametrize("page", ["gsm8k", "math", "code", "ifeval"])
def test_every_verifier_page_scores_a_real_example_through_a_service(page: str) -> None:
    path = ROOT / "docs" / "verifiers" / f"{page}.md"
    left_out = {first for doc, first, _ in LEFT_OUT if doc == f"docs/verifiers/{page}.md"}
    run = [
        example.parsed
        for example in SYBIL.parse(path).examples()
        if example.region.lexemes.get("language") == "bash" and example.parsed.splitlines()[0] not in left_out
    ]
    assert any(re.search(r"curl .*/score|rlvr score", block) for block in run), f"{path}: no scored example run"
    assert any("rlvr serve" in block for block in run), f"{path}: no service started"


def _defaults() -> dict[str, float]:
    endpoint = {f.name: f.default for f in fields(Endpoint)}
    client = inspect.signature(RewardClient).parameters
    return {
        "deadline_s": endpoint["deadline_s"],  # type: ignore[dict-item]
        "request_timeout_s": endpoint["request_timeout_s"],  # type: ignore[dict-item]
        "backoff_base_s": client["backoff_base_s"].default,
        "backoff_max_s": client["backoff_max_s"].default,
    }


@pytest.mark.parametrize("page", ["trl.md", "verl.md"])
def test_the_client_deadlines_documented_are_the_codes(page: str) -> None:
    text = " ".join((INTEGRATIONS / page).read_text().split())
    defaults = _defaults()
    assert f"`deadline_s` (default **{defaults['deadline_s']:g} s**)" in text
    assert f"`request_timeout_s` (default **{defaults['request_timeout_s']:g} s**)" in text
    assert f"**{defaults['backoff_base_s']:g} s** doubling to at most **{defaults['backoff_max_s']:g} s**" in text


@pytest.mark.parametrize("page", ["nemo-gym.md", "openrlhf.md", "slime.md", "trl.md", "verl.md"])
def test_every_integration_page_says_how_long_the_service_takes_at_most(page: str) -> None:
    text = " ".join((INTEGRATIONS / page).read_text().split())
    assert "**Deadlines and retries**" in text or "## Deadlines and retries" in text
    assert f"`RLVR_REQUEST_DEADLINE_S`, {Settings().request_deadline_s:g} s" in text or (
        f"`RLVR_REQUEST_DEADLINE_S` ({Settings().request_deadline_s:g} s;" in text
    )


@pytest.mark.parametrize(
    ("source", "quoted"),
    [
        ("openrlhf/utils/agent.py", ["aiohttp.ClientTimeout(total=180)", "try_max_times=5", "asyncio.sleep(1)"]),
        ("openrlhf-0.8.11/openrlhf/utils/remote_rm_utils.py", ["timeout=180", "try_max_times=5", "time.sleep(1)"]),
    ],
)
def test_openrlhfs_retries_are_as_its_released_source_says(source: str, quoted: list[str]) -> None:
    candidates = [*OPENRLHF.glob(f"python3*/site-packages/{source}"), ROOT / ".venv" / "frameworks" / source]
    code = next((path.read_text() for path in candidates if path.is_file()), None)
    assert code is not None, f"{source} is not installed: `make setup` installs both OpenRLHF clients"
    assert all(text in code for text in quoted), (source, quoted)
    page = " ".join((INTEGRATIONS / "openrlhf.md").read_text().split())
    assert "at most **180 s**" in page and "**5** times in all, **1 s** apart" in page
