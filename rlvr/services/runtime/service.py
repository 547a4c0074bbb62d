"""The scoring service behind the routes: picks the verifier, runs it inline or in the pool, counts it.

Inline verifiers run in one dedicated thread that checks the request's budget between items (small
batches of verifiers that declare linear scans, `loop_safe`, score on the event loop: the hand-off
costs more than they do), pooled ones in worker processes with hard deadlines. Every request has a
time budget; items not judged within it come back `timeout`.

It raises domain errors (`VerifierNotHosted`) and never chooses an HTTP status: the edge does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from rlvr.services.protocol import ScoreRequest, VerifierDescription
from rlvr.services.runtime.cache import VerdictCache
from rlvr.services.runtime.drain import Drain
from rlvr.services.runtime.metrics import Metrics
from rlvr.services.runtime.pool import WorkerPool
from rlvr.services.runtime.remote import RemoteVerifier
from rlvr.services.runtime.routing import split
from rlvr.services.runtime.scoring import Mixed, ScoredBatch, deadline_outcome, score_into
from rlvr.services.runtime.settings import Settings
from rlvr.services.sandbox.settings import configure as configure_sandbox
from rlvr.services.verifiers.base import Verifier
from rlvr.services.verifiers.outcome import Outcome
from rlvr.services.verifiers.registry import load_verifier

log = logging.getLogger("rlvr.service")


class ScoringService:
    """Hosts a set of verifiers and scores protocol-v1 requests against them."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
        configure_sandbox(settings.code)  # this process's; the pool hands the same to its workers
        self.verifiers: dict[str, Verifier] = {}
        self.remote: dict[str, RemoteVerifier] = {}
        specs: dict[str, str] = {}
        token = settings.upstream_token.get_secret_value() if settings.upstream_token else None
        for spec in settings.verifiers:
            if "=" in spec:  # `name=URL`: hosted by another rlvr service
                name, url = (part.strip() for part in spec.split("=", 1))
                self.remote[name] = RemoteVerifier(name, url, token, metrics)
                continue
            verifier = load_verifier(spec)
            self.verifiers[verifier.name] = verifier
            specs[verifier.name] = spec
            if type(verifier).dedup_key is not Verifier.dedup_key:  # on /metrics at 0 until a request deduplicates
                metrics.deduplicated.labels(verifier.name)
        self.drain = Drain(settings.shutdown_scoring_s)  # begun by the connection layer on SIGTERM
        # Every verifier is loaded in the pool: `process` ones score there, inline ones send it their
        # hostile-sized items, so that no long scan (one C call holds the GIL) stalls the event loop.
        self.pool: WorkerPool | None = None  # a front door of remote verifiers only has none
        if specs:
            self.pool = WorkerPool(
                specs,
                settings.workers,
                settings.item_deadline_s,
                metrics.worker_restarts.inc,
                settings.spares,
                self.drain,
                settings.code,
            )
        self.cache = VerdictCache(settings.verdict_cache_bytes, metrics.registry)
        self.hosted: dict[str, Verifier | RemoteVerifier] = {**self.verifiers, **self.remote}
        self.default = settings.default_verifier
        if self.default is not None and self.default not in self.hosted:
            raise ValueError(
                f"RLVR_DEFAULT_VERIFIER={self.default!r} is not hosted; RLVR_VERIFIERS gives {sorted(self.hosted)}"
            )
        self.ready = False
        self._details: dict[str, dict[str, object]] = {}
        # One thread for every inline verifier: abandoned work can burn at most one core.
        self._inline = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rlvr-inline")

    async def start(self) -> None:
        for verifier in self.verifiers.values():
            if verifier.isolation == "inline":
                verifier.warm_up()
        if self.pool is not None:
            await self.pool.start()
        # Upstreams are asked once; one that is down does not keep this service from being ready.
        await asyncio.gather(*(remote.describe() for remote in self.remote.values()))
        for verifier in self.verifiers.values():  # e.g. the code sandbox's layers, probed once
            try:
                self._details[verifier.name] = await asyncio.to_thread(verifier.details)
            except Exception as exc:  # facts for GET /verifiers: a plugin's bug there must not stop the service
                log.exception("verifier %s: details() failed", verifier.name)
                self._details[verifier.name] = {"error": f"{type(exc).__name__}: {exc}"}
        self.metrics.ops.export_sandboxes(self._details, self.settings.expected_sandbox_layers)
        self.ready = True

    async def close(self) -> None:
        self.ready = False
        if self.pool is not None:
            await self.pool.close()
        self._inline.shutdown(wait=False, cancel_futures=True)
        await asyncio.gather(*(remote.aclose() for remote in self.remote.values()))

    def _pool(self) -> WorkerPool:
        if self.pool is None:  # local verifiers always have one (__init__)
            raise RuntimeError("no worker pool: this service hosts no local verifier")
        return self.pool

    def describe(self) -> list[VerifierDescription]:
        return [
            VerifierDescription(
                name=v.name,
                version=v.version,
                components=dict(v.components),
                description=v.description,
                isolation=v.isolation,
                details=self._details.get(v.name, {}) if isinstance(v, Verifier) else v.details(),
            )
            for v in self.hosted.values()
        ]

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
            return await self._pool().score(verifier.name, items, deadline_s, budgets=budgets)
        limit = self.settings.inline_item_max_chars
        large = [i for i, (completion, reference) in enumerate(items) if len(completion) + len(reference) > limit]
        if not large:
            return await self._inline_outcomes(verifier, items, deadline_s)
        small = sorted(set(range(len(items))) - set(large))
        inline, pooled = await asyncio.gather(
            self._inline_outcomes(verifier, [items[i] for i in small], deadline_s),
            self._pool().score(verifier.name, [items[i] for i in large], deadline_s),
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
        if verifier.loop_safe and sum(len(c) + len(r) for c, r in items) <= self.settings.inline_loop_max_chars:
            return self._loop_outcomes(verifier, items, deadline_s)
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

    def _loop_outcomes(self, verifier: Verifier, items: list[tuple[str, str]], deadline_s: float) -> list[Outcome]:
        """A small batch of a linear verifier, scored right here on the event loop: a few ms, less than the
        thread hand-off costs (RLVR_INLINE_LOOP_MAX_CHARS bounds how long the loop is held)."""
        out: list[Outcome | None] = [None] * len(items)
        score_into(verifier, items, out, time.monotonic() + deadline_s, threading.Event())
        late = self.drain.late_outcome(deadline_s)
        return [o if o is not None else late for o in out]

    async def results(self, request: ScoreRequest, via: str = "score") -> ScoredBatch:
        """Score a validated request: an outcome per item, each from its own verifier (routing.py),
        counted in the metrics and logged. `via` names the wire format (`score`, `invocations`, an adapter).
        """
        started = time.perf_counter()
        groups = split([i.verifier for i in request.items], request.verifier, self.hosted, self.default)
        request_id = request.request_id or uuid.uuid4().hex
        deadline_s = self.deadline_s(request)
        parts = await asyncio.gather(
            *(self._group(name, indices, request, deadline_s, request_id) for name, indices in groups.items())
        )
        outcomes: list[Outcome] = [deadline_outcome(deadline_s)] * len(request.items)
        for indices, part in zip(groups.values(), parts, strict=True):
            for index, outcome in zip(indices, part, strict=True):
                outcomes[index] = outcome
        ids = [item.id if item.id is not None else str(index) for index, item in enumerate(request.items)]
        judges = [self.hosted[name] for name in groups]
        judged_by = None if len(judges) == 1 else [self.hosted[n] for n in _names_by_item(groups, len(ids))]
        log.info(
            "scored",
            extra={
                "request_id": request_id,
                "verifier": "+".join(groups),
                "via": via,
                "items": len(outcomes),
                "ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return ScoredBatch(request_id, judges[0] if len(judges) == 1 else Mixed(judges), ids, outcomes, judged_by)

    async def _remote_outcomes(
        self, remote: RemoteVerifier, items: list[tuple[str, str]], deadline_s: float, request_id: str
    ) -> list[Outcome]:
        """The upstream's outcomes, or `timeout` for all when SIGTERM's cut comes first (drain.py)."""
        try:
            async with self.drain.deadline(deadline_s):
                return await remote.score(items, deadline_s, request_id)
        except TimeoutError:
            return [self.drain.late_outcome(deadline_s)] * len(items)

    async def _group(
        self, name: str, indices: list[int], request: ScoreRequest, deadline_s: float, request_id: str
    ) -> list[Outcome]:
        items = [(request.items[i].completion, request.items[i].reference) for i in indices]
        if name in self.remote:
            outcomes = await self._remote_outcomes(self.remote[name], items, deadline_s, request_id)
        else:
            verifier = self.verifiers[name]
            outcomes = await self.cache.outcomes(
                verifier, items, lambda todo: self._unique_outcomes(verifier, todo, deadline_s)
            )
        self.metrics.observe_outcomes(name, outcomes)
        self.metrics.ops.observe_lengths(name, (completion for completion, _ in items), outcomes)
        return outcomes


def _names_by_item(groups: dict[str, list[int]], count: int) -> list[str]:
    names = [""] * count
    for name, indices in groups.items():
        for index in indices:
            names[index] = name
    return names


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
