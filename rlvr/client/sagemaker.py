"""The SageMaker transport: InvokeEndpoint through boto3 (SigV4), imported only when used (`aws` extra).

`sagemaker://<endpoint-name>` selects it. Differences from HTTP, all from the InvokeEndpoint
contract: bodies in and out stay below 6 MiB (the client chunks by size as well as by count); each
attempt carries a protocol `deadline_s` under SageMaker's 60 s and inside the time left; a container
429/5xx arrives as `ModelError` (424) with `OriginalStatusCode` and is retried, with throttling, 5xx
and connection errors (botocore's own retries are off: the client's deadline bounds every attempt).
`GET /verifiers` goes through `/invocations` with `rlvr=verifiers` in the custom attributes.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from rlvr.client.endpoint import SAGEMAKER_LIMIT_S, Endpoint
from rlvr.client.errors import RequestRefused, Retryable

INSTALL_HINT = "the SageMaker parts need boto3: pip install 'rlvr[aws]'"
MAX_BODY_BYTES = 6 * 1024 * 1024  # InvokeEndpoint Body, request and response (botocore model: max 6291456)
THROTTLING = frozenset(
    {
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
        "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException", "ModelNotReadyException",
    }
)  # fmt: skip  # botocore/retries/standard.py's throttling list, plus ModelNotReadyException
ANSWER_MARGIN_S = 2.0  # the service is asked to answer this much (at most a quarter of the time left) early
MIN_ATTEMPT_S = 0.05  # less time left than this: no new attempt


def import_boto3() -> Any:
    """boto3, or an ImportError that says how to install the extra."""
    try:
        import boto3
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    return boto3


class SageMakerTransport:
    """One SageMaker endpoint; credentials and region problems show up when it is made, not mid-run."""

    def __init__(self, endpoint: Endpoint, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.where = endpoint.url
        self.endpoint = endpoint.url.removeprefix("sagemaker://").strip("/")
        self.max_body_bytes: int | None = max_body_bytes
        # The service answers by its deadline plus a small margin: well inside SageMaker's 60 s.
        timeout = min(endpoint.request_timeout_s, SAGEMAKER_LIMIT_S)
        self.invocation_deadline_s = timeout - 10 if timeout > 20 else timeout / 2
        self._read_timeout_s = timeout + 10  # AWS suggests 70 s for a 60 s model
        self._region, self._aws_endpoint_url = endpoint.aws_region, endpoint.aws_endpoint_url
        self._runtimes: dict[int, Any] = {}  # boto3 clients by read timeout (whole seconds)
        self._runtime(self._read_timeout_s)

    def attempt_deadline(self, remaining_s: float) -> float | None:
        answer_in = min(self.invocation_deadline_s, remaining_s - min(ANSWER_MARGIN_S, remaining_s / 4))
        if answer_in < MIN_ATTEMPT_S:
            return 0.0  # no time for another attempt: the client stops
        return answer_in

    def _runtime(self, read_timeout_s: float) -> Any:
        """A sagemaker-runtime client whose reads give up after `read_timeout_s` (rounded up)."""
        seconds = max(1, math.ceil(read_timeout_s))
        if seconds not in self._runtimes:
            from botocore.config import Config

            self._runtimes[seconds] = import_boto3().client(
                "sagemaker-runtime",
                region_name=self._region,
                endpoint_url=self._aws_endpoint_url,
                config=Config(
                    retries={"mode": "standard", "total_max_attempts": 1},  # the client retries, within deadline_s
                    connect_timeout=min(10, seconds),
                    read_timeout=seconds,
                    max_pool_connections=16,
                ),
            )
        return self._runtimes[seconds]

    async def score(self, body: bytes, remaining_s: float) -> bytes:
        # boto3 blocks: a thread, abandoned by the client's deadline if the network never answers.
        return await asyncio.to_thread(self._invoke, body, {}, min(self._read_timeout_s, remaining_s))

    def verifiers(self, remaining_s: float) -> bytes:
        return self._invoke(b"{}", {"CustomAttributes": "rlvr=verifiers"}, self._read_timeout_s)

    def _invoke(self, body: bytes, extra: dict[str, str], read_timeout_s: float) -> bytes:
        from botocore.exceptions import ClientError, ConnectionError, HTTPClientError, ReadTimeoutError

        try:
            reply = self._runtime(read_timeout_s).invoke_endpoint(
                EndpointName=self.endpoint, ContentType="application/json", Accept="application/json",
                Body=body, **extra,
            )  # fmt: skip
            content: bytes = reply["Body"].read()
            return content
        except ClientError as exc:
            error = describe_error(exc.response)
            if not retryable(exc.response):
                raise RequestRefused(f"reward service {self.where} refused the batch: {error}") from None
            raise Retryable(error) from None
        except (ConnectionError, HTTPClientError, ReadTimeoutError) as exc:
            raise Retryable(f"{type(exc).__name__}: {exc}") from None

    async def aclose(self) -> None:
        return None  # botocore's pool needs no event loop


def retryable(response: dict[str, Any]) -> bool:
    """Throttling, 5xx, a starting model, or the container's own 429 or 5xx relayed as ModelError
    (what the HTTP transport retries when it reaches the service directly)."""
    code = response.get("Error", {}).get("Code", "")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code == "ModelError":
        original = _original_status(response) or 0
        return original == 429 or original >= 500
    return code in THROTTLING or status >= 500


def describe_error(response: dict[str, Any]) -> str:
    """`ModelError (container 422): ...` or `ThrottlingException (HTTP 400): ...`, short."""
    error = response.get("Error", {})
    original = _original_status(response)
    where = (
        f"container {original}" if original else f"HTTP {response.get('ResponseMetadata', {}).get('HTTPStatusCode')}"
    )
    message = response.get("OriginalMessage") or error.get("Message", "")
    return f"{error.get('Code', 'error')} ({where}): {str(message)[:300]}"


def _original_status(response: dict[str, Any]) -> int | None:
    value = response.get("OriginalStatusCode")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
