"""The CLI is built from the configuration it sets: options from the dataclasses' fields, settings
reach every HTTP worker without the environment, the trainer's URL variable has the RLVR_ prefix."""

from __future__ import annotations

import dataclasses
import warnings

import httpx
import pytest
import typer
from typer.testing import CliRunner

from rlvr.cli import app
from rlvr.client.environment import env_value
from rlvr.testing.processes import serve_process
from rlvr.trainer.config import TrainConfig
from rlvr.trainer.eval_config import EvalConfig

runner = CliRunner()


@pytest.mark.parametrize(
    ("command", "cls", "skipped", "renamed"),
    [
        ("train", TrainConfig, {"rewards", "extra_grpo_args"}, {}),
        ("eval", EvalConfig, set(), {"models": "model"}),
    ],
)
def test_every_simple_field_is_an_option_with_its_help(command: str, cls: type, skipped: set, renamed: dict) -> None:
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "400", "TERMINAL_WIDTH": "400"})
    assert result.exit_code == 0, result.output
    for field in dataclasses.fields(cls):
        if field.name in skipped:
            continue
        flag = "--" + renamed.get(field.name, field.name).replace("_", "-")
        assert flag in result.output, flag
        assert field.metadata["help"].split("`")[0][:30] in result.output, field.name


def test_list_options_take_commas_or_repeats() -> None:
    from rlvr.cli_fields import _convert

    assert _convert(["0,1", "4"], int, True) == [0, 1, 4]
    assert _convert(["a"], str, True) == ["a"]


def test_the_old_reward_url_variable_still_works_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RLVR_REWARD_URL", raising=False)
    monkeypatch.setenv("REWARD_URL", "http://old:8000")
    with pytest.warns(FutureWarning, match="REWARD_URL is deprecated: set RLVR_REWARD_URL"):
        assert env_value("RLVR_REWARD_URL") == "http://old:8000"
    monkeypatch.setenv("RLVR_REWARD_URL", "http://new:8000")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert env_value("RLVR_REWARD_URL") == "http://new:8000"


def test_cli_overrides_reach_every_http_worker_without_the_environment() -> None:
    # RLVR_VERIFIERS says gsm8k; the command line says math: every worker process must host math.
    with serve_process({"RLVR_VERIFIERS": "gsm8k", "RLVR_HTTP_WORKERS": "2"}, args=("--verifiers", "math")) as (_, url):
        seen = set()
        for _ in range(12):  # new connections, spread over both workers by the kernel
            with httpx.Client(base_url=url, timeout=10) as client:
                seen |= {v["name"] for v in client.get("/verifiers").json()["verifiers"]}
        assert seen == {"math"}


def _commands(group: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the CLI, groups included (`()`: `rlvr` itself)."""
    found = [path]
    for name, command in getattr(group, "commands", {}).items():
        found += _commands(command, (*path, name))
    return found


WIDE = {"COLUMNS": "400", "TERMINAL_WIDTH": "400"}
COMMANDS = _commands(typer.main.get_command(app))


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) or "rlvr" for p in COMMANDS])
def test_help_shows_a_type_only_where_an_option_takes_a_value(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "--help" in result.output and "<bool>" not in result.output


def test_serve_help_shows_the_services_defaults_and_verifiers() -> None:
    from rlvr.cli import SERVE_DEFAULTS
    from rlvr.services.runtime import Settings

    fields = Settings.model_fields
    assert {
        "host": fields["host"].default, "port": str(fields["port"].default),
        "verifiers": ",".join(fields["verifiers"].default), "workers": str(fields["http_workers"].default),
    } == SERVE_DEFAULTS  # fmt: skip
    result = runner.invoke(app, ["serve", "--help"], env=WIDE)
    for value in SERVE_DEFAULTS.values():
        assert f"[default: ({value})]" in result.output
    assert "code, exact_match, gsm8k, ifeval, math" in result.output  # the registered ones (the example plugin too)


@pytest.mark.parametrize("command", ["train", "eval", "demo"])
def test_data_help_lists_every_kind_of_source(command: str) -> None:
    output = runner.invoke(app, [command, "--help"], env=WIDE).output
    help_text = " ".join(output.replace("│", " ").split())  # the help column's text, unwrapped
    wanted = {"synthetic", "synthetic:2", "humaneval", "code-stdio", "JSONL", "openai/gsm8k", ",code-stdio=0."}  # a mix
    if command == "demo":  # `--data` of the demo is `rlvr train --data`
        wanted = {"rlvr train --data", "openai/gsm8k"}
    assert {word for word in wanted if word not in help_text} == set()
