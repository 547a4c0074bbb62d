"""`rlvr sagemaker ...`: the training container's entry, and the launchers of training jobs and endpoints.

rlvr sagemaker container-train [--opt-ml /opt/ml]        # what `docker run IMAGE train` runs
rlvr sagemaker train --config configs/cpu-demo.yaml --role ARN --image URI --instance-type ml.m5.xlarge \
    --output s3://bucket/rlvr/ --reward-endpoint sagemaker://rlvr-verifier --dry-run
rlvr sagemaker deploy-verifier --name rlvr-verifier --image URI --role ARN --instance-type ml.c5.xlarge --dry-run
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from rlvr.cli_edge import RlvrCommand
from rlvr.sagemaker.contract import DEFAULT_ROOT

app = typer.Typer(help="Amazon SageMaker: training jobs, the verifier as an endpoint.", no_args_is_help=True)


@app.command(name="container-train", cls=RlvrCommand)
def container_train(
    opt_ml: Annotated[Path, typer.Option(help="The /opt/ml tree (another root for local runs).")] = DEFAULT_ROOT,
    worker: Annotated[bool, typer.Option(hidden=True, help="One process of an `accelerate launch`.")] = False,
) -> None:
    """Run the training job SageMaker describes in /opt/ml: model to model/, failure to output/failure."""
    from rlvr.sagemaker.container import run_training_job

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    raise typer.Exit(run_training_job(opt_ml, worker=worker))


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    pairs = {}
    for value in values or []:
        key, sep, text = value.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{what} {value!r}: write KEY=VALUE")
        pairs[key] = text
    return pairs


def _submit(calls: list[tuple[str, str, dict[str, Any]]], dry_run: bool, region: str | None) -> None:
    """Validate every call offline; then print them (dry run) or make them with boto3."""
    from rlvr.sagemaker.validate import InvalidRequest, serialize_offline, validate

    try:
        for service, operation, params in calls:
            validate(service, operation, params)
            serialize_offline(service, operation, params)
    except ImportError as exc:
        raise typer.BadParameter(str(exc)) from None
    except InvalidRequest as exc:
        typer.echo(f"invalid request: {exc}", err=True)
        raise typer.Exit(2) from None
    if dry_run:
        listing = [{"service": s, "operation": o, "request": p} for s, o, p in calls]
        typer.echo(json.dumps(listing, indent=2))
        typer.echo(f"{len(calls)} request(s) valid against botocore's models; nothing sent (--dry-run)", err=True)
        return
    from rlvr.sagemaker import import_boto3

    boto3 = import_boto3()
    for service, operation, params in calls:
        client = boto3.client(service, region_name=region)
        if operation == "RegisterScalableTarget":  # the endpoint must be InService before it can scale
            boto3.client("sagemaker", region_name=region).get_waiter("endpoint_in_service").wait(
                EndpointName=params["ResourceId"].split("/")[1]
            )
        reply = getattr(client, xform(operation))(**params)
        reply.pop("ResponseMetadata", None)
        typer.echo(f"{operation}: {json.dumps(reply, default=str)}")


def xform(operation: str) -> str:
    """CreateTrainingJob -> create_training_job (boto3's method names)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


@app.command(cls=RlvrCommand)
def train(
    config: Annotated[str, typer.Option(help="Recipe inside the image, e.g. configs/qwen2.5-0.5b-gsm8k.yaml.")],
    role: Annotated[str, typer.Option(help="Execution role ARN (S3, logs, ECR; InvokeEndpoint for sagemaker://).")],
    image: Annotated[str, typer.Option(help="Trainer image URI in ECR (the `sagemaker` build target).")],
    instance_type: Annotated[str, typer.Option(help="e.g. ml.g5.2xlarge; several GPUs use accelerate.")],
    output: Annotated[str, typer.Option(help="S3 URI for model.tar.gz and output.tar.gz.")],
    checkpoints: Annotated[str | None, typer.Option(help="S3 URI synced with /opt/ml/checkpoints.")] = None,
    data: Annotated[str | None, typer.Option(help="S3 URI of the `train` channel (GSM8K-style JSONL).")] = None,
    model_data: Annotated[str | None, typer.Option(help="S3 URI of a `model` channel (a checkpoint).")] = None,
    reward_endpoint: Annotated[
        str | None, typer.Option(help="The first endpoint's URL: sagemaker://<endpoint-name> or http(s)://.")
    ] = None,
    hyperparameter: Annotated[
        list[str] | None, typer.Option("--set", help="Recipe field override KEY=VALUE (repeatable).")
    ] = None,
    instance_count: Annotated[int, typer.Option(help="Instances (hosts).")] = 1,
    volume_gb: Annotated[int, typer.Option(help="EBS volume per instance.")] = 100,
    max_runtime_s: Annotated[int, typer.Option(help="StoppingCondition.MaxRuntimeInSeconds.")] = 24 * 3600,
    job_name: Annotated[str | None, typer.Option(help="Default: rlvr-<recipe>-<UTC time>.")] = None,
    region: Annotated[str | None, typer.Option(help="AWS region (default: boto3's lookup).")] = None,
    dry_run: Annotated[bool, typer.Option(help="Print the request, validated offline; send nothing.")] = False,
) -> None:
    """Submit a training job (CreateTrainingJob) running the trainer image's `train`."""
    from rlvr.sagemaker.requests import TrainingJob

    job = TrainingJob(
        recipe=config, role=role, image=image, instance_type=instance_type, output_s3=output,
        checkpoint_s3=checkpoints, data_s3=data, model_s3=model_data, reward_endpoint=reward_endpoint,
        overrides=_pairs(hyperparameter, "--set"), instance_count=instance_count, volume_gb=volume_gb,
        max_runtime_s=max_runtime_s, region=region, name=job_name,
    )  # fmt: skip
    try:
        request = job.request()
    except ValueError as exc:
        typer.echo(f"invalid job: {exc}", err=True)
        raise typer.Exit(2) from None
    _submit([("sagemaker", "CreateTrainingJob", request)], dry_run, region)


@app.command(name="deploy-verifier", cls=RlvrCommand)
def deploy_verifier(
    name: Annotated[str, typer.Option(help="Endpoint name (the trainer's sagemaker://<name>).")],
    image: Annotated[str, typer.Option(help="Verifier image URI in ECR (the `sagemaker` build target).")],
    role: Annotated[str, typer.Option(help="Execution role ARN (ECR pull, CloudWatch logs).")],
    instance_type: Annotated[str, typer.Option(help="e.g. ml.c5.xlarge: the verifiers need CPUs only.")],
    verifiers: Annotated[str, typer.Option(help="RLVR_VERIFIERS of the container.")] = "gsm8k",
    env: Annotated[list[str] | None, typer.Option(help="More container settings KEY=VALUE (repeatable).")] = None,
    instance_count: Annotated[int, typer.Option(help="Instances at creation.")] = 1,
    min_instances: Annotated[int, typer.Option(help="Autoscaling minimum.")] = 1,
    max_instances: Annotated[int, typer.Option(help="Autoscaling maximum.")] = 4,
    target_invocations: Annotated[
        float, typer.Option(help="Target InvocationsPerInstance (per minute) of the scaling policy.")
    ] = 100.0,
    region: Annotated[str | None, typer.Option(help="AWS region (default: boto3's lookup).")] = None,
    dry_run: Annotated[bool, typer.Option(help="Print the requests, validated offline; send nothing.")] = False,
) -> None:
    """Deploy the verifier as a real-time endpoint with autoscaling (five calls, in order)."""
    from rlvr.sagemaker.requests import VerifierEndpoint

    endpoint = VerifierEndpoint(
        name=name, image=image, role=role, instance_type=instance_type, verifiers=verifiers,
        environment=_pairs(env, "--env"), instance_count=instance_count, min_instances=min_instances,
        max_instances=max_instances, target_invocations=target_invocations,
    )  # fmt: skip
    _submit(endpoint.requests(), dry_run, region)
