"""`rlvr sagemaker train/deploy-verifier --dry-run`: requests validated offline against botocore's models."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlvr.cli import app
from rlvr.sagemaker import import_boto3
from rlvr.sagemaker.contract import OptML, recipe_from_hyperparameters
from rlvr.sagemaker.validate import InvalidRequest, serialize_offline, validate
from rlvr.trainer.config import TrainConfig
from tests.conftest import require_module

require_module("boto3")

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
TRAIN = [
    "sagemaker", "train", "--config", "configs/cpu-demo.yaml", "--role", ROLE, "--image", f"{ECR}/rlvr-trainer:0.1.0",
    "--instance-type", "ml.g5.2xlarge", "--output", "s3://bucket/rlvr/output/", "--checkpoints", "s3://bucket/rlvr/ckpt/",
    "--data", "s3://bucket/rlvr/data/", "--reward-endpoint", "sagemaker://rlvr-verifier", "--set", "max_steps=200",
    "--max-runtime-s", "7200", "--region", "us-east-1", "--dry-run",
]  # fmt: skip
DEPLOY = [
    "sagemaker", "deploy-verifier", "--name", "rlvr-verifier", "--image", f"{ECR}/rlvr-verifier:0.1.0", "--role", ROLE,
    "--instance-type", "ml.c5.xlarge", "--verifiers", "gsm8k,math", "--max-instances", "8", "--dry-run",
]  # fmt: skip


def dry_run(args: list[str]) -> list[dict]:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    listing: list[dict] = json.loads(result.stdout)
    return listing


def test_train_dry_run_builds_a_valid_create_training_job() -> None:
    ((call),) = dry_run(TRAIN)
    assert (call["service"], call["operation"]) == ("sagemaker", "CreateTrainingJob")
    request = call["request"]
    validate("sagemaker", "CreateTrainingJob", request)  # what the command checked, checked again here
    hyperparameters = request["HyperParameters"]
    assert all(isinstance(v, str) for v in hyperparameters.values())  # SageMaker's map<string,string>
    # the recipe travels inlined, field by field, so the job runs exactly what was checked here
    assert "config" not in hyperparameters and hyperparameters["max_steps"] == "200"
    assert hyperparameters["reward_url"] == "sagemaker://rlvr-verifier"
    in_job = recipe_from_hyperparameters(hyperparameters, OptML(Path("/opt/ml")), resolve_channels=False)
    here = TrainConfig.from_yaml("configs/cpu-demo.yaml", max_steps=200, output_dir="/opt/ml/checkpoints")
    here.rewards[0].url = "sagemaker://rlvr-verifier"
    assert in_job.to_dict() == here.to_dict()
    assert request["CheckpointConfig"] == {"S3Uri": "s3://bucket/rlvr/ckpt/", "LocalPath": "/opt/ml/checkpoints"}
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 7200}
    assert [c["ChannelName"] for c in request["InputDataConfig"]] == ["train"]
    names = [d["Name"] for d in request["AlgorithmSpecification"]["MetricDefinitions"]]
    assert "train:reward" in names and "train:rewards/correctness/mean" in names and len(names) <= 40
    assert request["Environment"] == {"AWS_DEFAULT_REGION": "us-east-1"}


def test_a_recipe_only_on_this_machine_reaches_the_job(tmp_path: Path) -> None:
    recipe = tmp_path / "mine.yaml"
    recipe.write_text("model: smollm2-135m-instruct\ndata: synthetic\nshots: 0\nmax_steps: 7\n"
                      "rewards:\n  - {name: gsm8k, url: 'sagemaker://rlvr-verifier'}\n")  # fmt: skip
    args = [*TRAIN, "--config", str(recipe)]
    ((call),) = dry_run(args)
    hyperparameters = call["request"]["HyperParameters"]
    cfg = recipe_from_hyperparameters(hyperparameters, OptML(Path("/opt/ml")), resolve_channels=False)
    assert (cfg.max_steps, cfg.shots) == (200, 0)  # the command line's --set wins over the file
    assert call["request"]["CheckpointConfig"]["LocalPath"] == "/opt/ml/checkpoints"


def test_deploy_verifier_dry_run_builds_five_valid_calls_in_order() -> None:
    calls = dry_run(DEPLOY)
    assert [c["operation"] for c in calls] == [
        "CreateModel",
        "CreateEndpointConfig",
        "CreateEndpoint",
        "RegisterScalableTarget",
        "PutScalingPolicy",
    ]
    model, config, endpoint, target, policy = (c["request"] for c in calls)
    assert model["PrimaryContainer"]["Environment"]["RLVR_VERIFIERS"] == "gsm8k,math"
    assert config["ProductionVariants"][0]["ModelName"] == model["ModelName"] == endpoint["EndpointConfigName"]
    assert endpoint["EndpointName"] == "rlvr-verifier"
    assert target["ResourceId"] == policy["ResourceId"] == "endpoint/rlvr-verifier/variant/AllTraffic"
    assert target["MaxCapacity"] == 8
    metric = policy["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]
    assert metric["PredefinedMetricType"] == "SageMakerVariantInvocationsPerInstance"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([*TRAIN[:9], "ml.h100", *TRAIN[10:]], r"InstanceType: 'ml.h100' is not one of the \d+ values"),
        ([*TRAIN, "--job-name", "rlvr_gsm8k"], r"TrainingJobName: 'rlvr_gsm8k' does not match"),
        ([*TRAIN, "--max-runtime-s", "0"], r"MaxRuntimeInSeconds, value: 0, valid min value: 1"),
        ([*TRAIN, "--set", "max_steps=ten"], r"invalid job: hyperparameter max_steps='ten': expected an integer"),
        ([*TRAIN, "--reward-endpoint", "sagemaker://rlvr_verifier"], r"not a SageMaker endpoint name"),
        ([*DEPLOY[:2], "--name", "rlvr_verifier", *DEPLOY[4:]], r"EndpointName: 'rlvr_verifier' does not match"),
        ([*DEPLOY, "--instance-count", "0"], r"InitialInstanceCount, value: 0"),
    ],
    ids=["instance-type", "job-name", "runtime", "hyperparameter", "endpoint-url", "endpoint-name", "instance-count"],
)
def test_an_invalid_request_is_refused_with_a_clear_message(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert re.search(message, result.output), result.output
    assert "nothing sent" not in result.output


def test_botocore_refuses_a_hyperparameter_that_is_not_a_string() -> None:
    ((call),) = dry_run(TRAIN)
    request = call["request"]
    request["HyperParameters"]["max_steps"] = 200
    request["Bogus"] = 1
    with pytest.raises(InvalidRequest) as refused:
        validate("sagemaker", "CreateTrainingJob", request)
    assert "HyperParameters.max_steps" in str(refused.value) and "Bogus" in str(refused.value)


def test_the_serialized_request_is_what_boto3_would_send() -> None:
    ((call),) = dry_run(TRAIN)
    wire = serialize_offline("sagemaker", "CreateTrainingJob", call["request"])
    assert wire["headers"]["X-Amz-Target"] == "SageMaker.CreateTrainingJob"
    assert json.loads(wire["body"])["HyperParameters"]["max_steps"] == "200"


def test_without_boto3_the_message_says_how_to_install_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # what an install without the extra looks like
    with pytest.raises(ImportError, match=r"pip install 'rlvr\[aws\]'"):
        import_boto3()
    result = CliRunner().invoke(app, DEPLOY)
    assert result.exit_code == 2 and "rlvr[aws]" in result.output
