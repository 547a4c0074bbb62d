"""A reward client over SageMaker InvokeEndpoint (boto3, SigV4): same batching, retries, deadline, masking.

`sagemaker://<endpoint-name>` in a recipe's `url` selects it. Differences from HTTP, all from
the InvokeEndpoint contract: bodies in and out stay below 6 MiB (chunked by size as well as
by count; an item too big on its own comes back `error`, so it is masked); each call carries a
protocol `deadline_s` under SageMaker's 60 s; a container 429/503 arrives as `ModelError` (424)
with `OriginalStatusCode` and is retried here, with throttling, 5xx and connection errors,
within the client's `deadline_s` (botocore's own retries are off so that deadline holds).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any

from rlvr.sagemaker import import_boto3
from rlvr.services.protocol import ItemResult, ScoreItem, ScoreRequest, Status, VerifiersResponse
from rlvr.trainer.reward_client import RewardClient, RewardServiceError

log = logging.getLogger(__name__)

SCHEME = "sagemaker://"
MAX_BODY_BYTES = 6 * 1024 * 1024  # InvokeEndpoint Body, request and response (botocore model: max 6291456)
INVOCATION_LIMIT_S = 60.0  # a container must answer an invocation within 60 s
ENVELOPE_BYTES = 4096  # the request's and the response's own fields
RESULT_BYTES = 512  # a result is assumed no larger than its item plus this (its answer is a slice of it)
THROTTLING = frozenset(
    {
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
        "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException", "ModelNotReadyException",
    }
)  # fmt: skip  # botocore/retries/standard.py's throttling list, plus ModelNotReadyException
RETRIED_ORIGINAL_STATUS = frozenset({429, 503})  # the container was overloaded or starting


def endpoint_name(url: str) -> str:
    """`sagemaker://name` -> `name`."""
    return url.removeprefix(SCHEME).strip("/")


class SageMakerRewardClient(RewardClient):
    """`RewardClient` whose transport is InvokeEndpoint; results are validated the same way."""

    def __init__(
        self,
        url: str,
        *,
        region: str | None = None,
        aws_endpoint_url: str | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        **kwargs: Any,
    ) -> None:
        super().__init__(url, **kwargs)
        self.endpoint = endpoint_name(url)
        self.max_body_bytes = max_body_bytes
        # The service answers by its deadline plus a small margin: well inside SageMaker's 60 s.
        timeout = min(self.request_timeout_s, INVOCATION_LIMIT_S)
        self.invocation_deadline_s = timeout - 10 if timeout > 20 else timeout / 2
        from botocore.config import Config

        self._runtime = import_boto3().client(
            "sagemaker-runtime",
            region_name=region,
            endpoint_url=aws_endpoint_url,
            config=Config(
                retries={"mode": "standard", "total_max_attempts": 1},  # retried below, within deadline_s
                connect_timeout=10,
                read_timeout=timeout + 10,  # AWS suggests 70 s for a 60 s model
                max_pool_connections=16,
            ),
        )

    async def score(self, items: Sequence[ScoreItem]) -> list[ItemResult]:
        """One result per item, in order; chunks by count and by size go out together."""
        chunks: list[list[ScoreItem]] = []
        too_big: dict[int, ItemResult] = {}
        size = 0
        budget = self.max_body_bytes - ENVELOPE_BYTES
        for index, item in enumerate(items):
            cost = len(item.model_dump_json(exclude_none=True).encode()) + RESULT_BYTES
            if cost > budget:
                too_big[index] = ItemResult(
                    id=item.id or str(index),
                    status=Status.ERROR,
                    reward=None,
                    error=f"item of {cost} bytes exceeds InvokeEndpoint's body limit of {self.max_body_bytes}",
                )
                continue
            if not chunks or len(chunks[-1]) >= self.max_batch_items or size + cost > budget:
                chunks.append([])
                size = 0
            chunks[-1].append(item)
            size += cost
        parts = await asyncio.gather(*(self._score_chunk(chunk) for chunk in chunks))
        sent = iter(result for part in parts for result in part)
        return [too_big[i] if i in too_big else next(sent) for i in range(len(items))]

    async def _score_chunk(self, items: list[ScoreItem]) -> list[ItemResult]:
        request = ScoreRequest(
            verifier=self.verifier, request_id=uuid.uuid4().hex, deadline_s=self.invocation_deadline_s, items=items
        )
        content = await asyncio.to_thread(self._invoke, request.model_dump_json(exclude_none=True).encode(), None)
        return self._validate(items, content)

    def describe(self) -> VerifiersResponse:
        """The hosted verifiers, through `/invocations` with `rlvr=verifiers` in the custom attributes."""
        return VerifiersResponse.model_validate_json(self._invoke(b"{}", "rlvr=verifiers"))

    def _invoke(self, body: bytes, custom_attributes: str | None) -> bytes:
        """The response body of one InvokeEndpoint call, retried as the module docstring says."""
        from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

        extra = {"CustomAttributes": custom_attributes} if custom_attributes else {}
        started, attempt = time.monotonic(), 0
        while True:
            attempt += 1
            self.requests_sent += 1
            try:
                reply = self._runtime.invoke_endpoint(
                    EndpointName=self.endpoint, ContentType="application/json", Accept="application/json",
                    Body=body, **extra,
                )  # fmt: skip
                content: bytes = reply["Body"].read()
                return content
            except ClientError as exc:
                error = describe_error(exc.response)
                if not retryable(exc.response):
                    raise RewardServiceError(f"reward endpoint {self.url} refused the batch: {error}") from None
            except (ConnectionError, HTTPClientError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            remaining = self.deadline_s - (time.monotonic() - started)
            if remaining <= 0:
                raise RewardServiceError(
                    f"reward endpoint {self.url} gave no usable answer within {self.deadline_s:g}s "
                    f"({attempt} attempts); last error: {error}"
                )
            delay = min(self._backoff(attempt), remaining)
            log.warning("reward endpoint %s: %s; retrying in %.2fs", self.url, error, delay)
            time.sleep(delay)

    async def aclose(self) -> None:
        return None  # botocore's pool needs no event loop


def retryable(response: dict[str, Any]) -> bool:
    """Throttling, 5xx, a starting model, or the container's own 429/503 relayed as ModelError."""
    code = response.get("Error", {}).get("Code", "")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code == "ModelError":
        return _original_status(response) in RETRIED_ORIGINAL_STATUS
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
