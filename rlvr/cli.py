"""The `rlvr` command line: serve and check verifiers; train and evaluate (trainer extra).

rlvr serve --host 127.0.0.1 --port 8000
rlvr score completions.jsonl [--url http://127.0.0.1:8000]
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Reinforcement learning with verifiable rewards.", no_args_is_help=True)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind [RLVR_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind [RLVR_PORT].")] = None,
    verifiers: Annotated[
        str | None, typer.Option(help="Comma-separated verifiers to host [RLVR_VERIFIERS].")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="uvicorn processes [RLVR_HTTP_WORKERS].")] = None,
) -> None:
    """Start the reward verifier service (uvicorn)."""
    from services.runtime.serve import run_server

    run_server(host=host, port=port, verifiers=verifiers, http_workers=workers)


@app.command()
def score(
    file: Annotated[
        Path, typer.Argument(help="JSONL of {completion, reference[, id]} objects.", exists=True)
    ],
    url: Annotated[str | None, typer.Option(help="Score against this service instead of in-process.")] = None,
    verifier: Annotated[str, typer.Option(help="Verifier name (or module:Class in-process).")] = "gsm8k",
    token: Annotated[
        str | None, typer.Option(envvar="RLVR_API_TOKEN", help="Bearer token for --url.")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Write one result per line here.")] = None,
) -> None:
    """Score a JSONL file and print counts by status, mean components and flags."""
    from rlvr.score_file import score_file

    raise typer.Exit(score_file(file, url=url, verifier=verifier, token=token, output=output))


@app.command()
def train(
    config: Annotated[Path | None, typer.Option(help="YAML recipe (configs/*.yaml).", exists=True)] = None,
    reward_url: Annotated[str | None, typer.Option(help="URL of the first reward endpoint.")] = None,
    max_steps: Annotated[int | None, typer.Option(help="Stop after N steps.")] = None,
    output_dir: Annotated[str | None, typer.Option(help="Checkpoints, metrics.jsonl, manifest.")] = None,
    model: Annotated[str | None, typer.Option(help="Model to train.")] = None,
    data: Annotated[str | None, typer.Option(help="`synthetic`, a JSONL path or a hub id.")] = None,
    learning_rate: Annotated[float | None, typer.Option(help="Peak learning rate.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the last checkpoint in the output dir.")] = False,
) -> None:
    """Train with GRPO against reward verifier services."""
    import logging

    from trainer.config import TrainConfig
    from trainer.train import train as run_training

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cfg = TrainConfig.from_yaml(
        config, max_steps=max_steps, output_dir=output_dir, model=model, data=data, learning_rate=learning_rate, seed=seed
    )
    if reward_url is not None:
        cfg.rewards[0].url = reward_url
        cfg.rewards[0].__post_init__()
    run_training(cfg, resume=resume)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
