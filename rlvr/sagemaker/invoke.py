"""A reward client over SageMaker InvokeEndpoint (boto3, SigV4): same batching, retries, deadline, masking.

`sagemaker://<endpoint-name>` in a recipe's `url` selects it. Differences from HTTP, all from
the InvokeEndpoint contract: bodies in and out stay below 6 MiB (chunked by size as well as
by count; an item too big on its own comes back `error`, so it is masked); each call carries a
protocol `deadline_s` under SageMaker's 60 s and inside the time left; a container 429/5xx arrives as
`ModelError` (424) with `OriginalStatusCode` and is retried here, with throttling, 5xx and connection
errors, within the client's `deadline_s`, which bounds every attempt too (botocore's own retries are
off, and an attempt still running when the deadline comes is abandoned).
"""

from __future__ import annotations

import asyncio
import logging
import math
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
ANSWER_MARGIN_S = 2.0  # the service is asked to answer this much (at most a quarter of the time left) early
MIN_ATTEMPT_S = 0.05  # less time left than this: no new attempt


def endpoint_name(url: str) -> str:
    """`sagemaker://name` -> `name`."""
    return url.removeprefix(SCHEME).strip("/")


class _Retry(Exception):
    """An attempt failed in a way a later attempt can fix (throttling, 5xx, a connection error)."""


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
        self._read_timeout_s = timeout + 10  # AWS suggests 70 s for a 60 s model
        self._region, self._aws_endpoint_url = region, aws_endpoint_url
        self._runtimes: dict[int, Any] = {}  # boto3 clients by read timeout (whole seconds)
        self._runtime(self._read_timeout_s)  # credentials and region problems show up now, not mid-run

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
                    retries={"mode": "standard", "total_max_attempts": 1},  # retried here, within deadline_s
                    connect_timeout=min(10, seconds),
                    read_timeout=seconds,
                    max_pool_connections=16,
                ),
            )
        return self._runtimes[seconds]

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
        """One chunk, retried within `deadline_s`: each attempt asks the service to answer in the time
        left (its `deadline_s`), and is abandoned when that time is up, whatever the network does."""
        request_id = uuid.uuid4().hex
        started, attempt, error = time.monotonic(), 0, ""
        while True:
            attempt += 1
            remaining = self.deadline_s - (time.monotonic() - started)
            answer_in = min(self.invocation_deadline_s, remaining - min(ANSWER_MARGIN_S, remaining / 4))
            if answer_in < MIN_ATTEMPT_S:
                raise RewardServiceError(
                    f"reward endpoint {self.url} gave no usable answer within {self.deadline_s:g}s "
                    f"({attempt - 1} attempts); last error: {error or 'none'}"
                )
            request = ScoreRequest(verifier=self.verifier, request_id=request_id, deadline_s=answer_in, items=items)
            body = request.model_dump_json(exclude_none=True).encode()
            try:
                read_timeout = min(self._read_timeout_s, remaining)
                attempt_call = asyncio.to_thread(self._attempt, body, {}, read_timeout)
                content = await asyncio.wait_for(attempt_call, timeout=remaining + 1)
                return self._validate(items, content)
            except TimeoutError:
                error = f"no answer within the {self.deadline_s:g}s deadline"
                continue  # the next turn of the loop finds no time left and says so
            except _Retry as retry:
                error = str(retry)
            remaining = self.deadline_s - (time.monotonic() - started)
            delay = min(self._backoff(attempt), max(remaining, 0))
            log.warning("reward endpoint %s: %s; retrying in %.2fs", self.url, error, delay)
            await asyncio.sleep(delay)

    def describe(self) -> VerifiersResponse:
        """The hosted verifiers, through `/invocations` with `rlvr=verifiers` in the custom attributes."""
        started, attempt = time.monotonic(), 0
        while True:
            attempt += 1
            try:
                content = self._attempt(b"{}", {"CustomAttributes": "rlvr=verifiers"})
                return VerifiersResponse.model_validate_json(content)
            except _Retry as retry:
                remaining = self.deadline_s - (time.monotonic() - started)
                if remaining <= 0:
                    raise RewardServiceError(
                        f"reward endpoint {self.url} gave no usable answer within {self.deadline_s:g}s "
                        f"({attempt} attempts); last error: {retry}"
                    ) from None
                time.sleep(min(self._backoff(attempt), remaining))

    def _attempt(self, body: bytes, extra: dict[str, str], read_timeout_s: float | None = None) -> bytes:
        """One InvokeEndpoint call: the body, `_Retry` for what a later attempt can fix, else an error."""
        from botocore.exceptions import ClientError, ConnectionError, HTTPClientError, ReadTimeoutError

        self.requests_sent += 1
        try:
            runtime = self._runtime(read_timeout_s or self._read_timeout_s)
            reply = runtime.invoke_endpoint(
                EndpointName=self.endpoint, ContentType="application/json", Accept="application/json",
                Body=body, **extra,
            )  # fmt: skip
            content: bytes = reply["Body"].read()
            return content
        except ClientError as exc:
            error = describe_error(exc.response)
            if not retryable(exc.response):
                raise RewardServiceError(f"reward endpoint {self.url} refused the batch: {error}") from None
            raise _Retry(error) from None
        except (ConnectionError, HTTPClientError, ReadTimeoutError) as exc:
            raise _Retry(f"{type(exc).__name__}: {exc}") from None

    async def aclose(self) -> None:
        return None  # botocore's pool needs no event loop


def retryable(response: dict[str, Any]) -> bool:
    """Throttling, 5xx, a starting model, or the container's own 429 or 5xx relayed as ModelError
    (what the HTTP client retries when it reaches the service directly)."""
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
