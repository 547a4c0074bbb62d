"""The reward client: batches to one endpoint, retried within a deadline, validated on the way back.

One request per batch (chunked only past `max_batch_items` or the transport's body limit, chunks in
flight together); connection errors, 429 (honouring Retry-After) and 5xx are retried within the
endpoint's `deadline_s`; anything that breaks protocol v1 stops training with an error naming the
endpoint. It never invents a reward: items the service could not score keep their status.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from rlvr.client.endpoint import Endpoint
from rlvr.client.errors import Retryable, RewardServiceError, ServiceUnavailable
from rlvr.client.retry import START_IT, Deadline
from rlvr.client.transport import Transport, open_transport
from rlvr.services.protocol import ItemResult, ScoreItem, ScoreRequest, ScoreResponse, Status, VerifiersResponse

log = logging.getLogger(__name__)

ENVELOPE_BYTES = 4096  # a request's and a response's own fields, when chunking by size
RESULT_BYTES = 512  # a result is assumed no larger than its item plus this (its answer is a slice of it)


class RewardClient:
    """Sends batches to one endpoint's `/score` and validates what comes back."""

    def __init__(
        self,
        endpoint: Endpoint | str,
        *,
        transport: Transport | None = None,
        backoff_base_s: float = 0.25,
        backoff_max_s: float = 8.0,
        **fields: Any,
    ) -> None:
        self.endpoint = endpoint if isinstance(endpoint, Endpoint) else Endpoint(name="reward", url=endpoint, **fields)
        self.transport = transport or open_transport(self.endpoint)
        self.url = self.transport.where
        self.verifier = self.endpoint.verifier
        self.deadline_s = self.endpoint.deadline_s
        self.max_batch_items = self.endpoint.max_batch_items
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.requests_sent = 0  # attempts, retries included

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def score(self, items: Sequence[ScoreItem]) -> list[ItemResult]:
        """One result per item, in order; chunks by count (and by size where the transport limits bodies)."""
        chunks, too_big = self._chunks(items)
        parts = await asyncio.gather(*(self._score_chunk(chunk) for chunk in chunks))
        sent = iter(result for part in parts for result in part)
        return [too_big[i] if i in too_big else next(sent) for i in range(len(items))]

    def _chunks(self, items: Sequence[ScoreItem]) -> tuple[list[list[ScoreItem]], dict[int, ItemResult]]:
        limit = self.transport.max_body_bytes
        if limit is None:
            step = self.max_batch_items
            return [list(items[i : i + step]) for i in range(0, len(items), step)], {}
        chunks: list[list[ScoreItem]] = []
        too_big: dict[int, ItemResult] = {}
        size, budget = 0, limit - ENVELOPE_BYTES
        for index, item in enumerate(items):
            cost = len(item.model_dump_json(exclude_none=True).encode()) + RESULT_BYTES
            if cost > budget:  # masked, never sent: no attempt could carry it
                error = f"item of {cost} bytes exceeds the transport's body limit of {limit}"
                too_big[index] = ItemResult(id=item.id or str(index), status=Status.ERROR, reward=None, error=error)
                continue
            if not chunks or len(chunks[-1]) >= self.max_batch_items or size + cost > budget:
                chunks.append([])
                size = 0
            chunks[-1].append(item)
            size += cost
        return chunks, too_big

    def _deadline(self) -> Deadline:
        return Deadline(self.deadline_s, self.backoff_base_s, self.backoff_max_s)

    async def _score_chunk(self, items: list[ScoreItem]) -> list[ItemResult]:
        """One chunk, retried within `deadline_s`; an attempt still running at the deadline is abandoned."""
        request_id = uuid.uuid4().hex
        deadline = self._deadline()
        while True:
            remaining = deadline.remaining()
            answer_in = self.transport.attempt_deadline(remaining)
            if remaining <= 0 or answer_in == 0.0:
                raise deadline.exhausted(self.url)
            request = ScoreRequest(verifier=self.verifier, request_id=request_id, deadline_s=answer_in, items=items)
            deadline.attempts += 1
            self.requests_sent += 1
            try:
                attempt = self.transport.score(request.model_dump_json(exclude_none=True).encode(), remaining)
                content = await asyncio.wait_for(attempt, timeout=remaining + 1)
                return self._validate(items, content)
            except TimeoutError:
                deadline.last_error = f"no answer within the {self.deadline_s:g}s deadline"
                continue  # the next turn finds no time left and says so
            except Retryable as retry:
                delay = deadline.next_delay(str(retry), retry.retry_after_s)
            log.warning("reward service %s: %s; retrying in %.2fs", self.url, deadline.last_error, delay)
            await asyncio.sleep(delay)

    def _validate(self, items: list[ScoreItem], content: bytes) -> list[ItemResult]:
        try:
            response = ScoreResponse.model_validate_json(content)
        except ValidationError as exc:
            raise RewardServiceError(f"reward service {self.url} broke protocol v1: {exc.errors()[:3]}") from None
        results = response.results
        if len(results) != len(items):
            raise RewardServiceError(
                f"reward service {self.url} returned {len(results)} results for {len(items)} items"
            )
        for item, result in zip(items, results, strict=True):
            if result.id != item.id:
                raise RewardServiceError(
                    f"reward service {self.url} returned id {result.id!r} where {item.id!r} was sent"
                )
            numbers = [*result.components.values(), *([result.reward] if result.reward is not None else [])]
            if not all(math.isfinite(x) for x in numbers):
                raise RewardServiceError(f"reward service {self.url} returned a non-finite reward for item {item.id}")
            if result.status == Status.SCORED and result.reward is None:
                raise RewardServiceError(f"reward service {self.url} scored item {item.id} without a reward")
            judge = (result.verifier or response.verifier).name
            if item.verifier is not None and judge != item.verifier:  # a service that ignores ScoreItem.verifier
                raise RewardServiceError(
                    f"reward service {self.url} judged item {item.id} with {judge!r}, not the {item.verifier!r} it "
                    "names: it does not route items by verifier (protocol v1, ScoreItem.verifier)"
                )
        return results

    def describe(self) -> VerifiersResponse:
        """`GET /verifiers`, synchronously (once at start-up), retried until the service answers.

        A Kubernetes Job or a compose service often starts before its verifier is ready: connection
        errors, 5xx and 429 are retried with backoff within the endpoint's `deadline_s`.
        """
        deadline = self._deadline()
        while True:
            deadline.attempts += 1
            try:
                return VerifiersResponse.model_validate_json(self.transport.verifiers(deadline.remaining()))
            except ValidationError as exc:
                raise RewardServiceError(f"reward service {self.url} broke protocol v1: {exc.errors()[:3]}") from None
            except Retryable as retry:
                delay = deadline.next_delay(str(retry), retry.retry_after_s)
            if deadline.remaining() <= 0:
                raise ServiceUnavailable(
                    f"reward service {self.url} is not reachable after {deadline.attempts} attempts "
                    f"in {self.deadline_s:g}s (last error: {deadline.last_error}): {START_IT}"
                )
            log.warning("reward service %s not ready (%s); retrying in %.2fs", self.url, deadline.last_error, delay)
            time.sleep(delay)
