"""The scoring service behind the routes: picks the verifier, runs it inline or in the pool, counts it.

The response is built as plain dicts and encoded once with orjson: on the hot path that is
several times cheaper than constructing and validating a pydantic model per item.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import orjson

from rlvr.services.protocol import ScoreRequest, Status, VerifierDescription
from rlvr.services.runtime.errors import ApiError
from rlvr.services.runtime.metrics import Metrics
from rlvr.services.runtime.pool import WorkerPool
from rlvr.services.runtime.scoring import Outcome, score_batch
from rlvr.services.runtime.settings import Settings
from rlvr.services.verifiers.base import Verifier
from rlvr.services.verifiers.registry import load_verifier

log = logging.getLogger("rlvr.service")

# Inline batches larger than this are scored in a thread so /healthz stays responsive meanwhile.
_INLINE_IN_LOOP_MAX = 512


class ScoringService:
    """Hosts a set of verifiers and scores protocol-v1 requests against them."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.verifiers: dict[str, Verifier] = {}
        specs: dict[str, str] = {}
        for spec in settings.verifiers:
            verifier = load_verifier(spec)
            self.verifiers[verifier.name] = verifier
            specs[verifier.name] = spec
        pooled = {name: specs[name] for name, v in self.verifiers.items() if v.isolation == "process"}
        self.pool = (
            WorkerPool(pooled, settings.workers, settings.item_deadline_s, metrics.worker_restarts.inc)
            if pooled
            else None
        )
        self.ready = self.pool is None
        self._inflight = 0

    async def start(self) -> None:
        for verifier in self.verifiers.values():
            if verifier.isolation == "inline":
                verifier.warm_up()
        if self.pool is not None:
            await self.pool.start()
        self.ready = True

    async def close(self) -> None:
        self.ready = False
        if self.pool is not None:
            await self.pool.close()

    def describe(self) -> list[VerifierDescription]:
        return [
            VerifierDescription(
                name=v.name,
                version=v.version,
                components=dict(v.components),
                description=v.description,
                isolation=v.isolation,
            )
            for v in self.verifiers.values()
        ]

    @contextmanager
    def admission(self) -> Iterator[None]:
        """Admit one scoring request, or refuse it with 429 when the service is full."""
        if self._inflight >= self.settings.max_concurrent_requests:
            raise ApiError(
                429,
                f"overloaded: {self._inflight} scoring requests in flight; retry later",
                headers={"Retry-After": str(self.settings.retry_after_s)},
            )
        self._inflight += 1
        self.metrics.inflight.inc()
        try:
            yield
        finally:
            self._inflight -= 1
            self.metrics.inflight.dec()

    def select(self, name: str | None) -> Verifier:
        """The verifier a request names, or the only one hosted."""
        if name is None:
            if len(self.verifiers) == 1:
                return next(iter(self.verifiers.values()))
            raise ApiError(422, f"name a verifier in 'verifier'; this service hosts {sorted(self.verifiers)}")
        if name not in self.verifiers:
            raise ApiError(422, f"unknown verifier {name!r}; this service hosts {sorted(self.verifiers)}")
        return self.verifiers[name]

    async def _outcomes(self, verifier: Verifier, items: list[tuple[str, str]]) -> list[Outcome]:
        if verifier.isolation == "process" and self.pool is not None:
            return await self.pool.score(verifier.name, items)
        if len(items) <= _INLINE_IN_LOOP_MAX:
            return score_batch(verifier, items)
        return await asyncio.to_thread(score_batch, verifier, items)

    async def score(self, request: ScoreRequest) -> bytes:
        """Score a validated request; returns the encoded protocol-v1 response."""
        started = time.perf_counter()
        verifier = self.select(request.verifier)
        request_id = request.request_id or uuid.uuid4().hex
        outcomes = await self._outcomes(verifier, [(item.completion, item.reference) for item in request.items])
        results = [
            {
                "id": item.id if item.id is not None else str(index),
                "status": outcome.status.value,
                "reward": sum(outcome.components.values()) if outcome.status == Status.SCORED else None,
                "components": outcome.components,
                "answer": outcome.answer,
                "flags": list(outcome.flags),
                "error": outcome.error,
            }
            for index, (item, outcome) in enumerate(zip(request.items, outcomes, strict=True))
        ]
        self.metrics.observe_results(verifier.name, results)
        payload = {
            "request_id": request_id,
            "verifier": {"name": verifier.name, "version": verifier.version},
            "results": results,
        }
        log.info(
            "scored",
            extra={
                "request_id": request_id,
                "verifier": verifier.name,
                "items": len(results),
                "ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return encode(payload)


def encode(payload: object) -> bytes:
    """JSON-encode; falls back to ASCII escapes for strings orjson refuses (lone surrogates)."""
    try:
        return orjson.dumps(payload)
    except TypeError:
        return json.dumps(payload, ensure_ascii=True).encode()
