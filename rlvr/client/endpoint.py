"""One reward endpoint: where it is, which verifier, its weights and its time limits.

Recipes' `rewards:` entries map onto it field by field; `rlvr.integrations.trl` takes it.

>>> Endpoint("gsm8k", "http://127.0.0.1:8000").scheme
'http'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any

from rlvr.client.environment import env_value
from rlvr.errors import ConfigError

SCHEMES = ("http://", "https://", "sagemaker://", "inprocess://")
SAGEMAKER_ENDPOINT = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")  # EndpointName in the botocore model
SAGEMAKER_LIMIT_S = 60.0  # a SageMaker container must answer an invocation within 60 s


@dataclass
class Endpoint:
    """One reward service the caller scores against."""

    name: str = field(default="gsm8k", metadata={"help": "Label of this endpoint in logs and metric names."})
    url: str = field(
        default="http://127.0.0.1:8000",
        metadata={
            "help": "Base URL of the service, `sagemaker://<endpoint-name>` (InvokeEndpoint; `aws` extra) or "
            "`inprocess://<verifier>[,<verifier>...]` (verifiers in this process; `service` extra)."
        },
    )
    verifier: str | None = field(
        default=None,
        metadata={
            "help": "Verifier to ask for; None when it hosts one. Items routed by verifier (mixed data): the one "
            "verifier this endpoint serves; None serves every verifier it hosts."
        },
    )
    weights: dict[str, float] | None = field(
        default=None,
        metadata={"help": "Component -> reward weight; None takes every component the service lists, weight 1."},
    )
    token: str | None = field(default=None, metadata={"help": "Bearer token; None reads `token_env`."})
    token_env: str | None = field(
        default="RLVR_API_TOKEN", metadata={"help": "Environment variable holding the bearer token, if any."}
    )
    max_batch_items: int = field(default=1024, metadata={"help": "Items per request before a batch is chunked."})
    request_timeout_s: float = field(default=60.0, metadata={"help": "Timeout of one attempt."})
    deadline_s: float = field(default=120.0, metadata={"help": "Total time for a batch, retries included."})
    aws_region: str | None = field(
        default=None, metadata={"help": "sagemaker:// only: the endpoint's region (default: boto3's own lookup)."}
    )
    aws_endpoint_url: str | None = field(
        default=None, metadata={"help": "sagemaker:// only: the SageMaker Runtime URL (a VPC endpoint, a stand-in)."}
    )

    def __post_init__(self) -> None:
        if not self.url.startswith(SCHEMES):
            raise ConfigError(
                f"endpoint {self.name!r}: url {self.url!r} must start with "
                "http://, https://, sagemaker:// or inprocess://"
            )
        if self.scheme == "sagemaker":
            self._check_sagemaker()
        if self.max_batch_items < 1:
            raise ConfigError(f"endpoint {self.name!r}: max_batch_items must be >= 1")
        if self.deadline_s <= 0 or self.request_timeout_s <= 0:
            raise ConfigError(f"endpoint {self.name!r}: deadline_s and request_timeout_s must be > 0")

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0]

    def _check_sagemaker(self) -> None:
        name = self.url.removeprefix("sagemaker://").strip("/")
        if not SAGEMAKER_ENDPOINT.fullmatch(name):
            raise ConfigError(
                f"endpoint {self.name!r}: {name!r} is not a SageMaker endpoint name (1-63 letters, digits and "
                "hyphens, starting and ending with a letter or digit): write sagemaker://<endpoint-name>"
            )
        if self.request_timeout_s > SAGEMAKER_LIMIT_S:
            raise ConfigError(
                f"endpoint {self.name!r}: request_timeout_s {self.request_timeout_s:g} exceeds the 60 s in which "
                "SageMaker must answer an invocation: set it to 60 or less"
            )

    def bearer_token(self) -> str | None:
        """`token`, else the value of `token_env`; unset or empty means none (as the service reads it)."""
        if self.token:
            return self.token
        return env_value(self.token_env) if self.token_env else None

    @classmethod
    def from_mapping(cls, value: Any, index: int = 0) -> Endpoint:
        """A recipe's `rewards` entry; unknown keys are named, as for the recipe's own keys."""
        if isinstance(value, Endpoint):
            return value
        if not isinstance(value, dict):
            raise ConfigError(f"rewards[{index}]: expected a mapping such as {{name: gsm8k, url: ...}}, got {value!r}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ConfigError(f"rewards[{index}]: unknown keys {unknown}; known: {sorted(known)}")
        return cls(**value)
