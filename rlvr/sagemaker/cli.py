"""`rlvr sagemaker ...`: the training container's entry, and the launchers of training jobs and endpoints.

rlvr sagemaker container-train [--opt-ml /opt/ml]        # what `docker run IMAGE train` runs
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from rlvr.sagemaker.contract import DEFAULT_ROOT

app = typer.Typer(help="Amazon SageMaker: training jobs, the verifier as an endpoint.", no_args_is_help=True)


@app.command(name="container-train")
def container_train(
    opt_ml: Annotated[Path, typer.Option(help="The /opt/ml tree (another root for local runs).")] = DEFAULT_ROOT,
    worker: Annotated[bool, typer.Option(hidden=True, help="One process of an `accelerate launch`.")] = False,
) -> None:
    """Run the training job SageMaker describes in /opt/ml: model to model/, failure to output/failure."""
    from rlvr.sagemaker.container import run_training_job

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    raise typer.Exit(run_training_job(opt_ml, worker=worker))
