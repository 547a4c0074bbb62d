"""The AWS requests of `rlvr sagemaker train` and `deploy-verifier`, built as plain dicts (boto3's parameters).

CreateTrainingJob: one `train` data channel (and a `model` channel when given), hyperparameters
as strings, checkpoints synced to S3, metric definitions, a runtime cap. The verifier endpoint:
CreateModel, CreateEndpointConfig, CreateEndpoint, then Application Auto Scaling's
RegisterScalableTarget and a target-tracking PutScalingPolicy on invocations per instance.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rlvr.sagemaker.contract import CHANNEL, OptML, recipe_from_hyperparameters, recipe_path
from rlvr.sagemaker.metrics import metric_definitions

VARIANT = "AllTraffic"
CHECKPOINTS = "/opt/ml/checkpoints"
HYPERPARAMETER_MAX_CHARS = 2500  # botocore model: HyperParameterValue max 2500


@dataclass
class TrainingJob:
    """What `rlvr sagemaker train` is told; `request()` turns it into CreateTrainingJob's parameters."""

    recipe: str
    role: str
    image: str
    instance_type: str
    output_s3: str
    checkpoint_s3: str | None = None
    data_s3: str | None = None
    model_s3: str | None = None
    reward_endpoint: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    instance_count: int = 1
    volume_gb: int = 100
    max_runtime_s: int = 24 * 3600
    region: str | None = None
    name: str | None = None

    def hyperparameters(self) -> dict[str, str]:
        """The recipe's own fields, inlined (the job runs exactly the recipe checked here, not a file of
        the same name in the image), then the overrides."""
        values = recipe_hyperparameters(self.recipe) | {k: str(v) for k, v in self.overrides.items()}
        if self.reward_endpoint:
            values["reward_url"] = self.reward_endpoint
        if self.model_s3:
            values["model"] = CHANNEL + "model"
        return values

    def request(self) -> dict[str, Any]:
        # The same parsing and checks as inside the container, minus the channels (they exist only there).
        cfg = recipe_from_hyperparameters(self.hyperparameters(), OptML(Path("/opt/ml")), resolve_channels=False)
        channels = [("train", self.data_s3), ("model", self.model_s3)]
        request: dict[str, Any] = {
            "TrainingJobName": self.name or job_name("rlvr", Path(self.recipe).stem),
            "AlgorithmSpecification": {
                "TrainingImage": self.image,
                "TrainingInputMode": "File",
                "MetricDefinitions": metric_definitions(cfg),
            },
            "RoleArn": self.role,
            "HyperParameters": self.hyperparameters(),
            "InputDataConfig": [s3_channel(name, uri) for name, uri in channels if uri],
            "OutputDataConfig": {"S3OutputPath": self.output_s3},
            "ResourceConfig": {
                "InstanceType": self.instance_type,
                "InstanceCount": self.instance_count,
                "VolumeSizeInGB": self.volume_gb,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": self.max_runtime_s},
        }
        # Always synced: a restarted job (spot, a retry) resumes from the last checkpoint it finds there.
        checkpoints = self.checkpoint_s3 or f"{self.output_s3.rstrip('/')}/{request['TrainingJobName']}/checkpoints"
        request["CheckpointConfig"] = {"S3Uri": checkpoints, "LocalPath": CHECKPOINTS}
        if not request["InputDataConfig"]:
            del request["InputDataConfig"]  # synthetic data or a hub dataset: no channel
        if self.region:  # boto3 inside the container finds the reward endpoint's region here
            request["Environment"] = {"AWS_DEFAULT_REGION": self.region}
        return request


def recipe_hyperparameters(recipe: str) -> dict[str, str]:
    """A local YAML recipe as string hyperparameters: scalars as text, lists and objects as JSON."""
    values = yaml.safe_load(recipe_path(recipe).read_text()) or {}
    if not isinstance(values, dict):
        raise ValueError(f"recipe {recipe}: expected a mapping of recipe fields")
    values.pop("output_dir", None)  # SageMaker's contract: /opt/ml/checkpoints
    out = {}
    for key, value in values.items():
        text = "none" if value is None else json.dumps(value) if isinstance(value, (list, dict, bool)) else str(value)
        if len(text) > HYPERPARAMETER_MAX_CHARS:
            raise ValueError(f"recipe field {key}: {len(text)} characters; a hyperparameter holds at most 2500")
        out[str(key)] = text
    return out


def s3_channel(name: str, uri: str) -> dict[str, Any]:
    source = {"S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated"}
    return {"ChannelName": name, "DataSource": {"S3DataSource": source}}


def job_name(*parts: str) -> str:
    """`rlvr-cpu-demo-20260101-120000`: letters, digits and hyphens, at most 63 characters."""
    stem = re.sub(r"[^a-zA-Z0-9]+", "-", "-".join(parts)).strip("-")
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return f"{stem[: 62 - len(stamp)].rstrip('-')}-{stamp}"


@dataclass
class VerifierEndpoint:
    """What `rlvr sagemaker deploy-verifier` is told; `requests()` lists the five calls in order."""

    name: str
    image: str
    role: str
    instance_type: str
    verifiers: str = "gsm8k"
    instance_count: int = 1
    min_instances: int = 1
    max_instances: int = 4
    target_invocations: float = 100.0
    environment: dict[str, str] = field(default_factory=dict)
    startup_timeout_s: int = 600

    def requests(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(service, operation, parameters) for each call, in the order they must be made."""
        model = job_name(self.name)
        resource = f"endpoint/{self.name}/variant/{VARIANT}"
        dimension = "sagemaker:variant:DesiredInstanceCount"
        # SageMaker cuts an invocation at 60 s: requests without their own deadline_s get 50 s.
        # ... and no caller may ask for more than SageMaker gives.
        environment = {
            "RLVR_VERIFIERS": self.verifiers,
            "RLVR_REQUEST_DEADLINE_S": "50",
            "RLVR_MAX_REQUEST_DEADLINE_S": "55",
        } | self.environment
        variant = {
            "VariantName": VARIANT,
            "ModelName": model,
            "InitialInstanceCount": self.instance_count,
            "InstanceType": self.instance_type,
            "ContainerStartupHealthCheckTimeoutInSeconds": self.startup_timeout_s,
        }
        policy = {
            "TargetValue": self.target_invocations,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
            "ScaleInCooldown": 300,
            "ScaleOutCooldown": 60,
        }
        target = {"ServiceNamespace": "sagemaker", "ResourceId": resource, "ScalableDimension": dimension}
        return [
            (
                "sagemaker",
                "CreateModel",
                {
                    "ModelName": model,
                    "PrimaryContainer": {"Image": self.image, "Environment": environment},
                    "ExecutionRoleArn": self.role,
                },
            ),
            ("sagemaker", "CreateEndpointConfig", {"EndpointConfigName": model, "ProductionVariants": [variant]}),
            ("sagemaker", "CreateEndpoint", {"EndpointName": self.name, "EndpointConfigName": model}),
            (
                "application-autoscaling",
                "RegisterScalableTarget",
                target | {"MinCapacity": self.min_instances, "MaxCapacity": self.max_instances},
            ),
            (
                "application-autoscaling",
                "PutScalingPolicy",
                target
                | {
                    "PolicyName": f"{self.name}-invocations",
                    "PolicyType": "TargetTrackingScaling",
                    "TargetTrackingScalingPolicyConfiguration": policy,
                },
            ),
        ]
