"""Async HTTP client of a reward verifier service (protocol v1), and the TRL reward functions over it.

One `/score` request per endpoint per generation batch (chunked only past `max_batch_items`,
chunks in flight together), shared by every component's reward function; retries only
connection errors, 5xx and 429 (honouring Retry-After) within a total deadline; items the
service could not score become `None`, which TRL masks. It never invents a reward: when the
service stays unreachable, training stops with an error naming the endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
from pydantic import ValidationError

from rlvr.services.protocol import ItemResult, ScoreItem, ScoreRequest, ScoreResponse, Status, VerifiersResponse

log = logging.getLogger(__name__)


class RewardServiceError(RuntimeError):
    """The reward service cannot give trustworthy rewards; training must stop."""


class RewardClient:
    """Sends batches to one endpoint's `/score` and validates what comes back."""

    def __init__(
        self,
        url: str,
        *,
        verifier: str | None = None,
        token: str | None = None,
        max_batch_items: int = 1024,
        request_timeout_s: float = 60.0,
        deadline_s: float = 120.0,
        backoff_base_s: float = 0.25,
        backoff_max_s: float = 8.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.verifier = verifier
        self.max_batch_items = max_batch_items
        self.request_timeout_s = request_timeout_s
        self.deadline_s = deadline_s
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self._headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.requests_sent = 0  # HTTP attempts, retries included

    async def _http(self) -> httpx.AsyncClient:
        # Created inside the event loop that uses it (TRL runs one on a daemon thread); a new loop gets a
        # new pool, and the old one is closed rather than left holding its sockets.
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            await self.aclose()
            limits = httpx.Limits(max_keepalive_connections=8, keepalive_expiry=60)
            self._client = httpx.AsyncClient(base_url=self.url, headers=self._headers, limits=limits)
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            with contextlib.suppress(Exception):  # its loop may be gone; it is marked closed either way
                await client.aclose()

    async def score(self, items: Sequence[ScoreItem]) -> list[ItemResult]:
        """One result per item, in order; chunks past `max_batch_items` go out together."""
        chunks = [list(items[i : i + self.max_batch_items]) for i in range(0, len(items), self.max_batch_items)]
        parts = await asyncio.gather(*(self._score_chunk(chunk) for chunk in chunks))
        return [result for part in parts for result in part]

    async def _score_chunk(self, items: list[ScoreItem]) -> list[ItemResult]:
        body = ScoreRequest(verifier=self.verifier, request_id=uuid.uuid4().hex, items=items).model_dump_json(
            exclude_none=True
        )
        started = time.monotonic()
        attempt, last_error = 0, "no attempt made"
        while True:
            remaining = self.deadline_s - (time.monotonic() - started)
            if remaining <= 0:
                raise RewardServiceError(
                    f"reward service {self.url} gave no usable answer within {self.deadline_s:g}s "
                    f"({attempt} attempts); last error: {last_error}"
                )
            attempt += 1
            self.requests_sent += 1
            retry_after: float | None = None
            try:
                client = await self._http()
                reply = await client.post(
                    "/score", content=body, timeout=min(self.request_timeout_s, max(remaining, 0.1))
                )
            except httpx.TransportError as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            else:
                if reply.status_code == 200:
                    return self._validate(items, reply.content)
                last_error = f"HTTP {reply.status_code}: {reply.text[:300]}"
                if reply.status_code != 429 and reply.status_code < 500:
                    raise RewardServiceError(f"reward service {self.url} refused the batch: {last_error}")
                retry_after = _retry_after(reply.headers.get("retry-after"))
            delay = retry_after if retry_after is not None else self._backoff(attempt)
            delay = min(delay, max(self.deadline_s - (time.monotonic() - started), 0))
            log.warning("reward service %s: %s; retrying in %.2fs", self.url, last_error, delay)
            await asyncio.sleep(delay)

    def _backoff(self, attempt: int) -> float:
        # Full jitter: spreads retries of many trainer ranks over the whole window.
        return random.uniform(0, min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1)))

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
        return results

    def describe(self) -> VerifiersResponse:
        """`GET /verifiers`, synchronously (used once at start-up), retried until the service answers.

        A Kubernetes Job or a compose service often starts before its verifier is ready: connection
        errors, 5xx and 429 are retried with backoff within the client's `deadline_s`.
        """
        started, attempt = time.monotonic(), 0
        while True:
            attempt += 1
            try:
                reply = httpx.get(f"{self.url}/verifiers", headers=self._headers, timeout=self.request_timeout_s)
                if reply.status_code == 429 or reply.status_code >= 500:
                    raise httpx.HTTPStatusError(f"HTTP {reply.status_code}", request=reply.request, response=reply)
                reply.raise_for_status()
                return VerifiersResponse.model_validate_json(reply.content)
            except httpx.HTTPStatusError as exc:
                status = exc.response.status_code
                if status != 429 and status < 500:
                    raise RewardServiceError(f"reward service {self.url} refused GET /verifiers: {exc}") from None
                error = f"HTTP {status}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            except ValidationError as exc:
                raise RewardServiceError(f"reward service {self.url} broke protocol v1: {exc.errors()[:3]}") from None
            remaining = self.deadline_s - (time.monotonic() - started)
            if remaining <= 0:
                raise RewardServiceError(
                    f"reward service {self.url} is not reachable after {attempt} attempts "
                    f"in {self.deadline_s:g}s: {error}"
                )
            delay = min(self._backoff(attempt), remaining)
            log.warning("reward service %s not ready (%s); retrying in %.2fs", self.url, error, delay)
            time.sleep(delay)


def _retry_after(value: str | None) -> float | None:
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def completion_text(completion: Any) -> str:
    """TRL passes plain strings, or message lists for conversational prompts."""
    if isinstance(completion, str):
        return completion
    return "".join(str(message.get("content", "")) for message in completion)


class SharedBatch:
    """Lets several component functions share one in-flight request for the same batch.

    TRL awaits all async reward functions together with `asyncio.gather`, so they start at the
    same moment: the first one creates the request task, the others await that same task.
    """

    def __init__(self, client: RewardClient, consumers: int) -> None:
        self.client = client
        self.consumers = consumers
        self._inflight: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Any]] = {}
        self.last_latency_s = 0.0  # wall time of the latest batch's request(s)

    async def _timed_score(self, items: list[ScoreItem]) -> list[ItemResult]:
        started = time.perf_counter()
        try:
            return await self.client.score(items)
        finally:
            self.last_latency_s = time.perf_counter() - started

    async def results(self, completions: Sequence[Any], references: Sequence[str]) -> list[ItemResult]:
        texts = [completion_text(c) for c in completions]
        key = (tuple(texts), tuple(references))  # the batch itself: a hash could collide
        entry = self._inflight.get(key)
        if entry is None:
            items = [
                ScoreItem(id=str(i), completion=t, reference=r)
                for i, (t, r) in enumerate(zip(texts, references, strict=True))
            ]
            entry = self._inflight[key] = [asyncio.ensure_future(self._timed_score(items)), 0]
        entry[1] += 1
        if entry[1] >= self.consumers:
            del self._inflight[key]
        result: list[ItemResult] = await entry[0]
        return result


RewardFunc = Callable[..., Awaitable[list[float | None]]]


def component_reward_func(
    batches: dict[str, SharedBatch],
    endpoint: str,
    component: str,
    name: str,
    log_status: bool,
    reference_key: str = "reference",
) -> RewardFunc:
    """A TRL reward function returning one component of `endpoint`'s results.

    An item is None for *every* function when *any* endpoint could not score it: TRL then leaves
    the whole row out (NaN-aware means, zero advantage) instead of summing the other endpoints'
    components as if the failed one had given 0. A scored result without the component is a
    protocol error, never a zero.
    """

    async def reward(completions: list[Any], log_metric: Any = None, **columns: Any) -> list[float | None]:
        if reference_key not in columns:
            raise RewardServiceError(
                f"reward function {name}: the dataset has no {reference_key!r} column (it has {sorted(columns)})"
            )
        reference = [str(r) for r in columns[reference_key]]
        names = list(batches)
        answers = await asyncio.gather(*(batches[n].results(completions, reference) for n in names))
        per_endpoint = dict(zip(names, answers, strict=True))
        masked = [any(results[i].status != Status.SCORED for results in answers) for i in range(len(completions))]
        results = per_endpoint[endpoint]
        if log_status and log_metric is not None:  # once per endpoint, not once per component
            unscored = sum(r.status != Status.SCORED for r in results)
            log_metric(f"reward_service/{endpoint}/unscored_frac", unscored / max(len(results), 1))
            log_metric(f"reward_service/{endpoint}/latency_s", batches[endpoint].last_latency_s)
            if endpoint == names[0]:
                log_metric("reward_service/masked_frac", sum(masked) / max(len(masked), 1))
        out: list[float | None] = []
        for result, mask in zip(results, masked, strict=True):
            if mask:
                out.append(None)
            elif component not in result.components:
                raise RewardServiceError(
                    f"reward service {batches[endpoint].client.url} scored item {result.id} without its declared "
                    f"component {component!r} (it sent {sorted(result.components)})"
                )
            else:
                out.append(result.components[component])
        return out

    reward.__name__ = reward.__qualname__ = name
    return reward
