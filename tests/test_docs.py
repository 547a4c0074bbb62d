"""The documentation runs as written: every block of README.md and docs/ (tests/docs_runner.py says how).

    .venv/bin/pytest -q tests/test_docs.py --durations=0

Blocks that cannot run here are listed below, each with the reason its page shows beside it.
"""

from __future__ import annotations

import re
from pathlib import Path
from unittest import SkipTest

import pytest

from tests.docs_runner import ROOT, SYBIL, documents, page_session

# (page, the block's first line, why it is not run). A block added to this list needs a reason a
# reader sees on the page (an italic note beside the skip directive); the test below keeps both in step.
GPU, CLUSTER, AWS = "Needs a GPU", "Needs a Kubernetes cluster", "Needs AWS"
COMPOSE = "docker compose: run by `make compose-smoke` (deploy/ci/compose-smoke.sh)"
LONG = "minutes of measurement; `make bench` runs it"
TRAINED = "covered by tests/test_train_e2e.py::test_two_grpo_steps_against_the_service"
ROUTED = (
    "covered by tests/test_trl_routing.py::test_one_endpoint_hosting_both_one_request_and_one_function_per_component"
)
EVALUATED = "covered by tests/test_evaluate.py::test_two_models_side_by_side_in_one_table_and_plot"
LEFT_OUT = [
    ("README.md", "make setup", "`make test` runs these docs tests"),
    ("README.md", ".venv/bin/rlvr serve --port 8000 &", TRAINED),
    ("README.md", ".venv/bin/rlvr eval --model smollm2-135m-instruct", EVALUATED),
    ("README.md", "docker compose up -d", COMPOSE),
    ("README.md", "kubectl -n rlvr create secret", CLUSTER),
    ("README.md", "docker compose --profile monitoring up -d", CLUSTER),
    ("docs/integrations/openrlhf.md", "# OpenRLHF >= 0.10.2", GPU),
    ("docs/integrations/slime.md", "python train.py", GPU),
    ("docs/integrations/trl.md", "rewards = reward_functions(", ROUTED),
    ("docs/integrations/verl.md", "python -m verl.trainer.main_ppo", GPU),
    ("docs/integrations/verl.md", "+reward.custom_reward_function.reward_kwargs.deadline_s=30", GPU),
    ("docs/integrations/verl.md", "+reward.custom_reward_function.reward_kwargs.verifiers=", GPU),
    ("docs/operations.md", "docker compose --profile monitoring up -d", CLUSTER),
    ("docs/operations.md", ".venv/bin/pytest tests/test_monitoring_files.py", "`make test` runs these docs tests"),
    ("docs/results.md", "make demo", TRAINED),
    ("docs/results.md", "for k in 0 1 2 4 8; do", EVALUATED),
    *[
        ("docs/results.md", f".venv/bin/python benchmarks/bench_{name}.py", LONG)
        for name in ("service", "math", "hardening", "hardening", "adapters", "code", "cache", "ifeval", "trainer")
    ],
    ("docs/sagemaker.md", "docker build -f docker/trainer.Dockerfile", AWS),
]


def compose_only(source: str) -> bool:
    """A block that runs `docker compose` (README's compose section): the compose smoke test runs those steps."""
    return any(line.startswith("docker compose ") for line in source.splitlines())


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_page_runs_as_written(path: Path, tmp_path: Path) -> None:
    with page_session(path, tmp_path) as (document, _):
        for example in document.examples():
            if example.region.lexemes.get("language") == "bash" and compose_only(example.parsed):
                continue
            try:
                example.evaluate()
            except SkipTest:
                continue


def left_out() -> list[tuple[str, str, str]]:
    """Every block a page leaves out: (page, first line, reason), from its directives and the compose rule."""
    found = []
    for path in documents():
        document = SYBIL.parse(path)
        reason: str | None = None
        for example in document.examples():
            language = example.region.lexemes.get("language")
            if language is None:  # a skip directive
                reason = eval(example.parsed[1])  # Sybil's own reading of the directive
                continue
            first = example.parsed.splitlines()[0] if example.parsed.strip() else ""
            if language == "bash" and compose_only(example.parsed) and reason is None:
                reason = COMPOSE
            if reason is not None:
                found.append((str(path.relative_to(ROOT)), first, reason))
            reason = None
    return found


def test_every_block_left_out_is_listed_with_its_reason() -> None:
    found = left_out()
    assert len(found) == len(LEFT_OUT), "\n".join(map(str, found))
    for (page, first, reason), (want_page, want_first, want_reason) in zip(found, LEFT_OUT, strict=True):
        assert (page, reason) == (want_page, want_reason) and first.startswith(want_first), (page, first, reason)


def test_a_covered_block_names_a_test_that_exists() -> None:
    for page, first, reason in LEFT_OUT:
        if reason.startswith("covered by "):
            file, name = reason.removeprefix("covered by ").split("::")
            assert f"def {name}(" in (ROOT / file).read_text(), (page, first, reason)


def test_every_skip_directive_has_a_note_the_reader_sees() -> None:
    for path in documents():
        for note in re.findall(r"(?:^|\n\n)((?:.+\n)*?)<!-- skip:", path.read_text()):
            assert re.fullmatch(r"\*[^*].*not run by the docs tests.*\*", note.strip(), re.S), (path, note)
