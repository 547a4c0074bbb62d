"""The scoring service behind the routes: picks the verifier, runs it inline or in the pool, counts it.

Scoring never runs on the event loop: inline verifiers run in one dedicated thread that checks the
request's budget between items, pooled ones in worker processes with hard deadlines. Every
request has a time budget; items not judged within it come back `timeout`.

The response is built as plain dicts and encoded once with orjson: on the hot path that is
several times cheaper than constructing and validating a pydantic model per item.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import orjson

from rlvr.services.protocol import ScoreRequest, VerifierDescription
from rlvr.services.runtime.drain import Drain
from rlvr.services.runtime.errors import ApiError
from rlvr.services.runtime.metrics import Metrics
from rlvr.services.runtime.pool import WorkerPool
from rlvr.services.runtime.scoring import Outcome, score_into
from rlvr.services.runtime.settings import Settings
from rlvr.services.verifiers.base import Verifier
from rlvr.services.verifiers.registry import load_verifier

log = logging.getLogger("rlvr.service")


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
        self.drain = Drain(settings.shutdown_scoring_s)  # begun by the connection layer on SIGTERM
        # Every verifier is loaded in the pool: `process` ones score there, inline ones send it their
        # hostile-sized items, so that no long scan (one C call holds the GIL) stalls the event loop.
        self.pool = WorkerPool(
            specs, settings.workers, settings.item_deadline_s, metrics.worker_restarts.inc, settings.spares, self.drain
        )
        self.ready = False
        self._details: dict[str, dict[str, object]] = {}
        self._inflight = 0
        self._inflight_bytes = 0
        # One thread for every inline verifier: abandoned work can burn at most one core.
        self._inline = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rlvr-inline")

    async def start(self) -> None:
        for verifier in self.verifiers.values():
            if verifier.isolation == "inline":
                verifier.warm_up()
        await self.pool.start()
        for verifier in self.verifiers.values():  # e.g. the code sandbox's layers, probed once
            try:
                self._details[verifier.name] = await asyncio.to_thread(verifier.details)
            except Exception as exc:  # facts for GET /verifiers: a plugin's bug there must not stop the service
                log.exception("verifier %s: details() failed", verifier.name)
                self._details[verifier.name] = {"error": f"{type(exc).__name__}: {exc}"}
        self.ready = True

    async def close(self) -> None:
        self.ready = False
        await self.pool.close()
        self._inline.shutdown(wait=False, cancel_futures=True)

    def describe(self) -> list[VerifierDescription]:
        return [
            VerifierDescription(
                name=v.name,
                version=v.version,
                components=dict(v.components),
                description=v.description,
                isolation=v.isolation,
                details=self._details.get(v.name, {}),
            )
            for v in self.verifiers.values()
        ]

    @contextmanager
    def admission(self) -> Iterator[BodyBudget]:
        """Admit one scoring request, or refuse it with 429 when the service is full.

        Its body takes bytes from the in-flight budget as they arrive (429 when spent), not as
        declared: a client that declares 32 MiB and sends nothing holds nothing but its slot, and
        that only until the body timeout.
        """
        if self._inflight >= self.settings.max_concurrent_requests:
            raise self.overloaded(f"{self._inflight} scoring requests in flight")
        budget = BodyBudget(self)
        self._inflight += 1
        self.metrics.inflight.inc()
        try:
            yield budget
        finally:
            self._inflight -= 1
            self.metrics.inflight.dec()
            budget.release()

    def overloaded(self, why: str) -> ApiError:
        return ApiError(
            429,
            f"overloaded: {why}; retry later",
            headers={"Retry-After": str(self.settings.retry_after_s)},
        )

    def select(self, name: str | None) -> Verifier:
        """The verifier a request names, or the only one hosted."""
        if name is None:
            if len(self.verifiers) == 1:
                return next(iter(self.verifiers.values()))
            raise ApiError(422, f"name a verifier in 'verifier'; this service hosts {sorted(self.verifiers)}")
        if name not in self.verifiers:
            raise ApiError(422, f"unknown verifier {name!r}; this service hosts {sorted(self.verifiers)}")
        return self.verifiers[name]

    def deadline_s(self, request: ScoreRequest) -> float:
        """The request's time budget: its own `deadline_s`, capped, or the service default."""
        if request.deadline_s is None:
            return self.settings.request_deadline_s
        return min(request.deadline_s, self.settings.max_request_deadline_s)

    async def _unique_outcomes(
        self, verifier: Verifier, items: list[tuple[str, str]], deadline_s: float
    ) -> list[Outcome]:
        """Outcomes of `items`, each distinct (dedup key, reference) pair scored once (GRPO groups
        repeat programs); only for verifiers that define `dedup_key`."""
        keys, budgets = await asyncio.to_thread(_plan, verifier, items) if _plans(verifier) else (None, None)
        if keys is None:
            return await self._outcomes(verifier, items, deadline_s, budgets)
        first: dict[tuple[str, str], int] = {}
        unique: list[tuple[str, str]] = []
        unique_budgets: list[float | None] = []
        slots = []
        for index, (key, item) in enumerate(zip(keys, items, strict=True)):
            slot = first.setdefault((key, item[1]), len(unique))
            if slot == len(unique):
                unique.append(item)
                unique_budgets.append(budgets[index] if budgets else None)
            slots.append(slot)
        if len(unique) < len(items):
            self.metrics.deduplicated.labels(verifier.name).inc(len(items) - len(unique))
        outcomes = await self._outcomes(verifier, unique, deadline_s, unique_budgets)
        return [outcomes[slot] for slot in slots]

    async def _outcomes(
        self,
        verifier: Verifier,
        items: list[tuple[str, str]],
        deadline_s: float,
        budgets: list[float | None] | None = None,
    ) -> list[Outcome]:
        if verifier.isolation == "process":
            return await self.pool.score(verifier.name, items, deadline_s, budgets=budgets)
        limit = self.settings.inline_item_max_chars
        large = [i for i, (completion, reference) in enumerate(items) if len(completion) + len(reference) > limit]
        if not large:
            return await self._inline_outcomes(verifier, items, deadline_s)
        small = sorted(set(range(len(items))) - set(large))
        inline, pooled = await asyncio.gather(
            self._inline_outcomes(verifier, [items[i] for i in small], deadline_s),
            self.pool.score(verifier.name, [items[i] for i in large], deadline_s),
        )
        out: list[Outcome] = [*inline, *pooled]
        order = small + large
        merged: list[Outcome | None] = [None] * len(items)
        for position, outcome in zip(order, out, strict=True):
            merged[position] = outcome
        return [o for o in merged if o is not None]

    async def _inline_outcomes(
        self, verifier: Verifier, items: list[tuple[str, str]], deadline_s: float
    ) -> list[Outcome]:
        if not items:
            return []
        abort = threading.Event()
        out: list[Outcome | None] = [None] * len(items)
        stop_at = time.monotonic() + deadline_s
        work = asyncio.get_running_loop().run_in_executor(
            self._inline, score_into, verifier, items, out, stop_at, abort
        )
        try:
            # shield: on a deadline, the shutdown cut or a disconnect the thread finishes its item and sees `abort`.
            with contextlib.suppress(TimeoutError):
                async with self.drain.deadline(deadline_s):
                    await asyncio.shield(work)
        finally:
            abort.set()
        late = self.drain.late_outcome(deadline_s)
        return [o if o is not None else late for o in list(out)]

    async def results(self, request: ScoreRequest, via: str = "score") -> tuple[Verifier, str, list[dict[str, Any]]]:
        """Score a validated request: the verifier, the request id and one result dict per item.

        Counted in the metrics and logged; `via` names the route (`score` or an adapter).
        """
        started = time.perf_counter()
        verifier = self.select(request.verifier)
        request_id = request.request_id or uuid.uuid4().hex
        deadline_s = self.deadline_s(request)
        items = [(item.completion, item.reference) for item in request.items]
        outcomes = await self._unique_outcomes(verifier, items, deadline_s)
        results = [
            outcome.to_dict(item.id if item.id is not None else str(index))
            for index, (item, outcome) in enumerate(zip(request.items, outcomes, strict=True))
        ]
        self.metrics.observe_results(verifier.name, results)
        log.info(
            "scored",
            extra={
                "request_id": request_id,
                "verifier": verifier.name,
                "via": via,
                "items": len(results),
                "ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return verifier, request_id, results

    async def score(self, request: ScoreRequest) -> bytes:
        """Score a validated request; returns the encoded protocol-v1 response."""
        verifier, request_id, results = await self.results(request)
        return encode_response(verifier, request_id, results)


class BodyBudget:
    """The share of `max_inflight_bytes` one request holds while its body is read and scored."""

    def __init__(self, service: ScoringService) -> None:
        self._service = service
        self.held = 0

    def take(self, size: int) -> None:
        """Hold `size` more bytes, or raise 429 when the service's budget cannot cover them."""
        service = self._service
        if size <= 0:
            return
        if service._inflight_bytes + size > service.settings.max_inflight_bytes:
            raise service.overloaded(
                f"{service._inflight_bytes} body bytes in flight; {size} more exceed the budget "
                f"of {service.settings.max_inflight_bytes}"
            )
        service._inflight_bytes += size
        self.held += size

    def release(self) -> None:
        self._service._inflight_bytes -= self.held
        self.held = 0


def _plans(verifier: Verifier) -> bool:
    """Whether the verifier deduplicates or budgets its items (the base class does neither)."""
    kind = type(verifier)
    return kind.dedup_key is not Verifier.dedup_key or kind.item_budget_s is not Verifier.item_budget_s


def _plan(verifier: Verifier, items: list[tuple[str, str]]) -> tuple[list[str] | None, list[float | None] | None]:
    """Dedup keys (None: no dedup) and item budgets, off the event loop: both parse model output or
    references. A verifier whose hook fails gets neither, never a failed request."""
    try:
        keys = [verifier.dedup_key(completion) for completion, _ in items]
        budgets = [verifier.item_budget_s(reference) for _, reference in items]
    except Exception:
        log.exception("verifier %s: dedup_key/item_budget_s failed; scoring without them", verifier.name)
        return None, None
    strict_keys = [key for key in keys if key is not None]
    return (strict_keys if len(strict_keys) == len(keys) else None), budgets


def encode_response(verifier: Verifier, request_id: str, results: list[dict[str, Any]]) -> bytes:
    """The protocol-v1 response body (`/score`, `/invocations`)."""
    payload = {"request_id": request_id, "verifier": {"name": verifier.name, "version": verifier.version}}
    return encode(payload | {"results": results})


def encode(payload: object) -> bytes:
    """JSON-encode; falls back to ASCII escapes for strings orjson refuses (lone surrogates)."""
    try:
        return orjson.dumps(payload)
    except TypeError:
        return json.dumps(payload, ensure_ascii=True).encode()
