"""A verifier hosted by another rlvr service (`RLVR_VERIFIERS=code=http://code:8002`), hosted here like a
local one: the front door splits each request by verifier and sends the remote parts upstream.

Each part goes out as one protocol-v1 request over a kept-alive pool (the client layer's HTTP
transport) with the request's id, the time it has left and the upstream token. 429 and 503 are
retried as `Retry-After` says while time is left; anything else fails fast. Whatever goes wrong
makes the part's items `error` or `timeout` naming the upstream, never a 5xx of the front door.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Any

import orjson
from pydantic import ValidationError

from rlvr.client.endpoint import Endpoint
from rlvr.client.errors import Retryable, RewardServiceError
from rlvr.client.http import HttpTransport
from rlvr.services.protocol import Status, VerifiersResponse
from rlvr.services.runtime.metrics import Metrics
from rlvr.services.verifiers.outcome import Outcome

log = logging.getLogger("rlvr.service")

RETRIED = (429, 503)  # the upstream is busy or starting: worth waiting for within the deadline
ANSWER_MARGIN_S = 0.25  # the upstream is asked to answer this much before our own deadline


class RemoteVerifier:
    """The verifier `name` of the rlvr service at `url`; its name, version and components are the upstream's."""

    isolation = "remote"
    description = ""

    def __init__(self, name: str, url: str, token: str | None, metrics: Metrics) -> None:
        self.name, self.url = name, url.rstrip("/")
        self.version = "unknown"  # until the upstream has described itself
        self.components: dict[str, float] = {}
        self.state = "unknown"
        self.last_error: str | None = None
        self._metrics = metrics
        self._transport = HttpTransport(Endpoint(name=name, url=self.url, token=token, token_env=None))

    def details(self) -> dict[str, object]:
        return {"upstream": self.url, "state": self.state, "last_error": self.last_error}

    async def describe(self, timeout_s: float = 2.0) -> None:
        """Learn the upstream's version and components (GET /verifiers); failures are recorded, not raised."""
        try:
            content = await asyncio.wait_for(asyncio.to_thread(self._transport.verifiers, timeout_s), timeout_s + 1)
            hosted = {v.name: v for v in VerifiersResponse.model_validate_json(content).verifiers}
            if self.name not in hosted:
                raise RewardServiceError(f"it hosts {sorted(hosted)}, not {self.name!r}")
            upstream = hosted[self.name]
            self.version, self.components, self.description = (
                upstream.version,
                upstream.components,
                upstream.description,
            )
            self._mark("up")
        except (Retryable, RewardServiceError, ValidationError, TimeoutError) as exc:
            self._mark("down", f"GET /verifiers: {type(exc).__name__}: {exc}"[:300])

    async def score(self, items: list[tuple[str, str]], deadline_s: float, request_id: str) -> list[Outcome]:
        """One outcome per item, in order, within `deadline_s`; never raises."""
        if self.version == "unknown":
            await self.describe(min(2.0, deadline_s / 4))
        started = time.monotonic()
        outcome = "error"
        try:
            outcomes = await asyncio.wait_for(self._attempts(items, deadline_s, request_id), timeout=deadline_s)
            outcome = "ok"
            return outcomes
        except TimeoutError:
            outcome = "timeout"
            why = f"upstream {self.url} did not answer within the request's deadline of {deadline_s:g}s"
            return [Outcome.failed(Status.TIMEOUT, why, "upstream_timeout")] * len(items)
        except (Retryable, RewardServiceError) as exc:
            why = f"upstream {self.url}: {exc}"[:500]
            self._mark("down", why)
            return [Outcome.failed(Status.ERROR, why, "upstream_error")] * len(items)
        finally:
            self._metrics.upstream_requests.labels(self.name, outcome).inc()
            self._metrics.upstream_latency.labels(self.name).observe(time.monotonic() - started)

    async def _attempts(self, items: list[tuple[str, str]], deadline_s: float, request_id: str) -> list[Outcome]:
        # Plain data both ways (orjson): the hop costs a fraction of what models per item would.
        part = [{"id": str(n), "completion": c, "reference": r} for n, (c, r) in enumerate(items)]
        stop_at = time.monotonic() + deadline_s
        while True:
            remaining = stop_at - time.monotonic()
            answer_in = max(remaining - min(ANSWER_MARGIN_S, remaining / 4), 0.01)
            body = {"verifier": self.name, "request_id": request_id, "deadline_s": answer_in, "items": part}
            try:
                content = await self._transport.score(orjson.dumps(body), remaining)
                outcomes = outcomes_from(content, len(items))
                self._mark("up")
                return outcomes
            except Retryable as retry:
                if retry.status not in RETRIED:
                    raise
                delay = retry.retry_after_s if retry.retry_after_s is not None else 0.1
                if delay >= stop_at - time.monotonic():
                    raise
                log.warning("upstream %s: %s; retrying in %.2fs", self.url, retry, delay)
                await asyncio.sleep(delay)

    def _mark(self, state: str, error: str | None = None) -> None:
        if state != self.state:
            log.warning("upstream %s of verifier %s is %s%s", self.url, self.name, state, f": {error}" if error else "")
        self.state, self.last_error = state, error if state == "down" else self.last_error
        self._metrics.upstream_up.labels(self.name).set(1 if state == "up" else 0)

    async def aclose(self) -> None:
        await self._transport.aclose()


def outcomes_from(content: bytes, count: int) -> list[Outcome]:
    """The outcomes of a protocol-v1 response to `count` items with ids 0..count-1; RewardServiceError
    naming what is wrong when it is not one."""
    try:
        results = orjson.loads(content)["results"]
        if not isinstance(results, list):
            raise TypeError(f"'results' is {type(results).__name__}, not a list")
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise RewardServiceError(f"broke protocol v1: {type(exc).__name__}: {exc}"[:300]) from None
    if len(results) != count:
        raise RewardServiceError(f"returned {len(results)} results for {count} items")
    try:
        return [_outcome(result, str(n)) for n, result in enumerate(results)]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RewardServiceError(f"broke protocol v1: {type(exc).__name__}: {exc}"[:300]) from None


_STATUSES = {status.value: status for status in Status}


def _outcome(result: dict[str, Any], item_id: str) -> Outcome:
    if result["id"] != item_id:
        raise ValueError(f"result id {result['id']!r} where {item_id!r} was sent")
    status = _STATUSES.get(result["status"]) or Status(result["status"])  # the dict: ~10x faster than the enum
    components = result.get("components") or {}
    if not all(value.__class__ is float for value in components.values()):  # JSON numbers are floats here
        components = {str(k): float(v) for k, v in components.items()}
    if status is Status.SCORED and not all(math.isfinite(v) for v in components.values()):
        raise ValueError(f"a non-finite component for item {item_id}")
    flags = result.get("flags") or ()
    flags = tuple(flags) if all(flag.__class__ is str for flag in flags) else tuple(str(flag) for flag in flags)
    answer, error = result.get("answer"), result.get("error")
    return Outcome(
        status, components, None if answer is None else str(answer), flags, None if error is None else str(error)
    )
