"""The `rlvr` command line: serve and check verifiers; train and evaluate (trainer extra).

rlvr serve --host 127.0.0.1 --port 8000
rlvr score completions.jsonl [--url http://127.0.0.1:8000]
rlvr --debug score ...      # a mistake's traceback too (without: one line, exit status 2; cli_edge.py)
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from rlvr.cli_edge import DEBUG, RlvrCommand, RlvrGroup
from rlvr.cli_fields import field_options
from rlvr.services.verifiers.registry import available_verifiers
from rlvr.trainer.config import TrainConfig
from rlvr.trainer.eval_config import EvalConfig

app = typer.Typer(cls=RlvrGroup, help="Reinforcement learning with verifiable rewards.", no_args_is_help=True)
# The service's defaults (rlvr/services/runtime/settings.py, tested equal): importing its settings
# here would load pydantic-settings for every command, and the trainer image has none.
SERVE_DEFAULTS = {"host": "127.0.0.1", "port": "8000", "verifiers": "gsm8k", "workers": "1"}
VERIFIERS = ", ".join(sorted(available_verifiers()))  # registered by entry point, plugins included


@app.callback()
def rlvr(
    debug: Annotated[
        bool, typer.Option(f"--{DEBUG}", help="Print the traceback of an error too (else a mistake is one line).")
    ] = False,
) -> None:
    """Reinforcement learning with verifiable rewards: serve verifiers, score files, train and evaluate."""


@app.command(cls=RlvrCommand)
def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind [RLVR_HOST].", show_default=SERVE_DEFAULTS["host"])
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to bind [RLVR_PORT].", show_default=SERVE_DEFAULTS["port"])
    ] = None,
    verifiers: Annotated[
        str | None,
        typer.Option(
            help=f"Comma-separated verifiers to host [RLVR_VERIFIERS]: {VERIFIERS}, a module:Class path, or "
            "name=URL (that verifier of another rlvr service: this one is then a front door).",
            show_default=SERVE_DEFAULTS["verifiers"],
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="uvicorn processes [RLVR_HTTP_WORKERS].", show_default=SERVE_DEFAULTS["workers"])
    ] = None,
) -> None:
    """Start the reward verifier service (uvicorn); every other setting is an RLVR_ variable (docs/operations.md)."""
    from rlvr.services.runtime.serve import run_server

    run_server(host=host, port=port, verifiers=verifiers, http_workers=workers)


@app.command(cls=RlvrCommand)
def score(
    file: Annotated[Path, typer.Argument(help="JSONL of {completion, reference[, id]} objects.")],
    url: Annotated[
        str | None, typer.Option(help="Score against this service instead of in-process.", show_default="in-process")
    ] = None,
    verifier: Annotated[
        str, typer.Option(help=f"Verifier: {VERIFIERS} (or a module:Class path, in-process).")
    ] = "gsm8k",
    token: Annotated[str | None, typer.Option(envvar="RLVR_API_TOKEN", help="Bearer token for --url.")] = None,
    deadline_s: Annotated[float, typer.Option(help="Total time for --url to score, retries included.")] = 120.0,
    output: Annotated[Path | None, typer.Option(help="Write one result per line here.")] = None,
) -> None:
    """Score a JSONL file and print counts by status, mean components and flags."""
    from rlvr.score_file import score_file

    raise typer.Exit(score_file(file, url=url, verifier=verifier, token=token, output=output, deadline_s=deadline_s))


@app.command(cls=RlvrCommand)
@field_options(TrainConfig, skip={"rewards", "extra_grpo_args"})
def train(
    config: Annotated[Path | None, typer.Option(help="YAML recipe (configs/*.yaml).")] = None,
    reward_url: Annotated[
        str | None, typer.Option(help="URL of the first reward endpoint [RLVR_REWARD_URL].", show_default=False)
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the last checkpoint in the output dir.")] = False,
    **overrides: Any,
) -> None:
    """Train with GRPO against reward verifier services; options override the recipe's fields."""
    from rlvr.client.environment import env_value

    _log_to_stderr()
    cfg = TrainConfig.from_yaml(config, **overrides)
    reward_url = reward_url or env_value("RLVR_REWARD_URL")
    if reward_url is not None:
        cfg.rewards[0].url = reward_url
        cfg.rewards[0].__post_init__()  # says what is wrong with the URL
    from rlvr.trainer.train import train as run_training  # the ML stack: after the recipe's own checks

    run_training(cfg, resume=resume)


@app.command(name="eval", cls=RlvrCommand)
@field_options(EvalConfig, names={"models": "model"})
def eval_(**overrides: Any) -> None:
    """Greedy accuracy by few-shot count for one or more models: table, JSON and PNG plot."""
    from rich.console import Console

    from rlvr.trainer.evaluate import evaluate

    _log_to_stderr()
    report = evaluate(EvalConfig(**overrides))
    Console().print(report["table"])
    Console().print(f"plot: {report['out_dir']}/accuracy.png")


@app.command(cls=RlvrCommand)
def demo(
    config: Annotated[Path, typer.Option(help="Training recipe (configs/*.yaml).")] = Path("configs/cpu-demo.yaml"),
    data: Annotated[
        str | None, typer.Option(help="Switch the task: any `rlvr train --data`, e.g. openai/gsm8k or a mix.")
    ] = None,
    n: Annotated[int, typer.Option(help="Held-out problems evaluated before and after.")] = 64,
    shots: Annotated[str, typer.Option(help="Comma-separated few-shot counts to evaluate.")] = "0,1",
    max_steps: Annotated[int | None, typer.Option(help="Override the recipe's steps.")] = None,
    out_dir: Annotated[str, typer.Option(help="Where everything goes.")] = "runs/demo",
) -> None:
    """Start the service, evaluate, train against it, evaluate again, print before/after; stops the service."""
    from rich.console import Console

    from rlvr.trainer.demo import run_demo

    _log_to_stderr()
    report = run_demo(config, data, n, [int(k) for k in shots.split(",") if k.strip()], max_steps, out_dir)
    Console().print("\n[bold]Before / after GRPO[/bold] (greedy, held-out problems)\n")
    Console().print(report["table"])
    Console().print(f"plots: {report['out_dir']}/accuracy.png, {report['out_dir']}/reward_curve.png")
    Console().print(f"training metrics: {out_dir}/train/metrics.jsonl")


@app.command(cls=RlvrCommand)
def reproduce(
    model: Annotated[
        str, typer.Option(help="Qwen2.5-0.5B: a local directory or a cached hub id.")
    ] = "Qwen/Qwen2.5-0.5B",
    data: Annotated[str, typer.Option(help="GSM8K: train.jsonl beside test.jsonl, or openai/gsm8k.")] = (
        "openai/gsm8k"
    ),
    n: Annotated[int, typer.Option(help="Test problems evaluated (the published figures use 100).")] = 100,
    out_dir: Annotated[str, typer.Option(help="Where everything goes.")] = "runs/reproduce",
) -> None:
    """The published recipe end to end on a GPU: base eval, GRPO, trained eval, beside the published table."""
    from rich.console import Console

    from rlvr.trainer.reproduce import reproduce as run

    _log_to_stderr()
    report = run(model=model, data=data, n=n, out_dir=out_dir)  # CannotReproduce: one line, exit 2 (cli_edge.py)
    Console().print(report["table"])
    Console().print(f"plot: {out_dir}/accuracy.png")


def _log_to_stderr() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _add_sagemaker() -> None:
    from rlvr.sagemaker.cli import app as sagemaker

    app.add_typer(sagemaker, name="sagemaker", cls=RlvrGroup)


_add_sagemaker()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
