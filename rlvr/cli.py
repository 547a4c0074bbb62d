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
    verifiers: Annotated[str | None, typer.Option(help="Comma-separated verifiers to host [RLVR_VERIFIERS].")] = None,
    workers: Annotated[int | None, typer.Option(help="uvicorn processes [RLVR_HTTP_WORKERS].")] = None,
) -> None:
    """Start the reward verifier service (uvicorn)."""
    from rlvr.services.runtime.serve import run_server

    run_server(host=host, port=port, verifiers=verifiers, http_workers=workers)


@app.command()
def score(
    file: Annotated[Path, typer.Argument(help="JSONL of {completion, reference[, id]} objects.", exists=True)],
    url: Annotated[str | None, typer.Option(help="Score against this service instead of in-process.")] = None,
    verifier: Annotated[str, typer.Option(help="Verifier name (or module:Class in-process).")] = "gsm8k",
    token: Annotated[str | None, typer.Option(envvar="RLVR_API_TOKEN", help="Bearer token for --url.")] = None,
    output: Annotated[Path | None, typer.Option(help="Write one result per line here.")] = None,
) -> None:
    """Score a JSONL file and print counts by status, mean components and flags."""
    from rlvr.score_file import score_file

    raise typer.Exit(score_file(file, url=url, verifier=verifier, token=token, output=output))


@app.command()
def train(
    config: Annotated[Path | None, typer.Option(help="YAML recipe (configs/*.yaml).", exists=True)] = None,
    reward_url: Annotated[
        str | None, typer.Option(envvar="REWARD_URL", help="URL of the first reward endpoint.")
    ] = None,
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

    from rlvr.trainer.config import TrainConfig
    from rlvr.trainer.train import train as run_training

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cfg = TrainConfig.from_yaml(
        config,
        max_steps=max_steps,
        output_dir=output_dir,
        model=model,
        data=data,
        learning_rate=learning_rate,
        seed=seed,
    )
    if reward_url is not None:
        cfg.rewards[0].url = reward_url
        cfg.rewards[0].__post_init__()
    run_training(cfg, resume=resume)


@app.command(name="eval")
def eval_(
    model: Annotated[list[str] | None, typer.Option(help="Model(s) to compare; repeat the option.")] = None,
    data: Annotated[
        str,
        typer.Option(
            help="`synthetic`, a GSM8K JSONL (test split), a hub id, `humaneval`/`code-stdio`, or "
            "`ifeval-synthetic`/`google/IFEval`/an IFEval JSONL (with --shots 0)."
        ),
    ] = "synthetic",
    verifier: Annotated[
        str | None,
        typer.Option(help="Verifier to score with (default: `code` or `ifeval` for their data, else `gsm8k`)."),
    ] = None,
    n: Annotated[int, typer.Option(help="Evaluation problems.")] = 100,
    shots: Annotated[str, typer.Option(help="Comma-separated few-shot counts.")] = "0,1,2,4,8",
    reward_url: Annotated[str | None, typer.Option(help="Score through this service (else in-process).")] = None,
    token: Annotated[str | None, typer.Option(envvar="RLVR_API_TOKEN", help="Bearer token for --reward-url.")] = None,
    prompt_style: Annotated[
        str, typer.Option(help="`plain` (the recipe's, for base models) or `chat` (instruction-tuned models).")
    ] = "plain",
    fewshot_data: Annotated[
        str | None, typer.Option(help="Few-shot examples from here (default: the training split of --data).")
    ] = None,
    dtype: Annotated[str, typer.Option(help="`auto` (bf16 on a capable GPU), `bf16` or `fp32`.")] = "auto",
    max_new_tokens: Annotated[int, typer.Option(help="Tokens generated per problem.")] = 256,
    batch_size: Annotated[int, typer.Option(help="Problems generated together.")] = 16,
    out_dir: Annotated[str, typer.Option(help="Output folder.")] = "runs/eval",
) -> None:
    """Greedy accuracy by few-shot count for one or more models: table, JSON and PNG plot."""
    import logging

    from rich.console import Console

    from rlvr.trainer.data import data_kind
    from rlvr.trainer.evaluate import EvalConfig, evaluate

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cfg = EvalConfig(
        models=model or ["smollm2-135m-instruct"],
        data=data,
        verifier=verifier or {"code": "code", "ifeval": "ifeval"}.get(data_kind(data), "gsm8k"),
        n=n,
        shots=[int(k) for k in shots.split(",") if k.strip()],
        reward_url=reward_url,
        token=token,
        prompt_style=prompt_style,
        fewshot_data=fewshot_data,
        dtype=dtype,
        max_new_tokens=max_new_tokens,
        batch_size=batch_size,
        out_dir=out_dir,
    )
    report = evaluate(cfg)
    Console().print(report["table"])
    Console().print(f"plot: {report['out_dir']}/accuracy.png")


@app.command()
def demo(
    config: Annotated[Path, typer.Option(help="Training recipe.", exists=True)] = Path("configs/cpu-demo.yaml"),
    data: Annotated[str | None, typer.Option(help="Switch the task, e.g. ../shared/data/gsm8k/train.jsonl.")] = None,
    n: Annotated[int, typer.Option(help="Held-out problems evaluated before and after.")] = 64,
    shots: Annotated[str, typer.Option(help="Comma-separated few-shot counts to evaluate.")] = "0,1",
    max_steps: Annotated[int | None, typer.Option(help="Override the recipe's steps.")] = None,
    out_dir: Annotated[str, typer.Option(help="Where everything goes.")] = "runs/demo",
) -> None:
    """Start the service, evaluate, train against it, evaluate again, print before/after; stops the service."""
    import logging

    from rich.console import Console

    from rlvr.trainer.demo import run_demo

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    report = run_demo(config, data, n, [int(k) for k in shots.split(",") if k.strip()], max_steps, out_dir)
    Console().print("\n[bold]Before / after GRPO[/bold] (greedy, held-out problems)\n")
    Console().print(report["table"])
    Console().print(f"plots: {report['out_dir']}/accuracy.png, {report['out_dir']}/reward_curve.png")
    Console().print(f"training metrics: {out_dir}/train/metrics.jsonl")


@app.command()
def reproduce(
    model: Annotated[
        str, typer.Option(help="Qwen2.5-0.5B: a local directory or a cached hub id.")
    ] = "Qwen/Qwen2.5-0.5B",
    data: Annotated[str, typer.Option(help="GSM8K: train.jsonl beside test.jsonl, or openai/gsm8k.")] = (
        "../shared/data/gsm8k/train.jsonl"
    ),
    n: Annotated[int, typer.Option(help="Test problems evaluated (the published figures use 100).")] = 100,
    out_dir: Annotated[str, typer.Option(help="Where everything goes.")] = "runs/reproduce",
) -> None:
    """The published recipe end to end on a GPU: base eval, GRPO, trained eval, beside the published table."""
    import logging

    from rich.console import Console

    from rlvr.trainer.reproduce import CannotReproduce
    from rlvr.trainer.reproduce import reproduce as run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        report = run(model=model, data=data, n=n, out_dir=out_dir)
    except CannotReproduce as exc:
        Console(stderr=True).print(f"[red]cannot reproduce here:[/red] {exc}")
        raise typer.Exit(2) from None
    Console().print(report["table"])
    Console().print(f"plot: {out_dir}/accuracy.png")


def _add_sagemaker() -> None:
    from rlvr.sagemaker.cli import app as sagemaker

    app.add_typer(sagemaker, name="sagemaker")


_add_sagemaker()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
