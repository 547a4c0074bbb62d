"""The verdict cache: one per service process, bounded in bytes, least recently used out first.

Keyed by (verifier name, version, SHA-256 of the reference, SHA-256 of the completion): neither text is
kept. Only `scored` outcomes that the verifier declares reproducible (`Verifier.reproducible`) are
stored, so a hit is what a fresh score would return; timeouts, errors and the code verifier's time or
memory limits are always scored afresh. RLVR_VERDICT_CACHE_BYTES=0 turns it off (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge

from rlvr.services.protocol import Status
from rlvr.services.verifiers.base import Verdict, Verifier
from rlvr.services.verifiers.outcome import Outcome

Key = tuple[str, str, bytes, bytes]
Items = list[tuple[str, str]]
# What an OrderedDict entry costs beyond its key and value (hash slot, links), measured with tracemalloc.
_ENTRY_OVERHEAD = 100


def item_key(verifier: Verifier, completion: str, reference: str) -> Key:
    """The cache key of one item (surrogates kept: any str the protocol accepts hashes)."""
    ref = hashlib.sha256(reference.encode("utf-8", "surrogatepass")).digest()
    return verifier.name, verifier.version, ref, hashlib.sha256(completion.encode("utf-8", "surrogatepass")).digest()


def entry_bytes(key: Key, outcome: Outcome) -> int:
    """Bytes one entry holds, counted from the objects themselves (shared strings counted anyway)."""
    size = _ENTRY_OVERHEAD + sys.getsizeof(key) + sys.getsizeof(key[2]) + sys.getsizeof(key[3])
    size += sys.getsizeof(outcome) + sys.getsizeof(outcome.components) + sys.getsizeof(outcome.flags)
    size += sum(sys.getsizeof(name) + sys.getsizeof(value) for name, value in outcome.components.items())
    size += sum(map(sys.getsizeof, outcome.flags)) + sys.getsizeof(outcome.answer)
    return size


class VerdictCache:
    """Reproducible outcomes by item key; `outcomes` scores only the items it does not hold."""

    def __init__(self, max_bytes: int, registry: CollectorRegistry) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[Key, tuple[Outcome, int]] = OrderedDict()
        self._lock = threading.Lock()  # lookups and stores run in threads (hashing is off the event loop)
        self.lookups = Counter(
            "rlvr_verdict_cache_lookups",
            "Verdict cache lookups by verifier and result (hit: served without scoring).",
            ["verifier", "result"],
            registry=registry,
        )
        self.unstored = Counter(
            "rlvr_verdict_cache_unstored",
            "Fresh outcomes not cached: not scored (timeout, error) or not reproducible (e.g. a time limit).",
            ["verifier"],
            registry=registry,
        )
        self.evictions = Counter("rlvr_verdict_cache_evictions", "Entries dropped to stay in bytes.", registry=registry)
        self.size = Gauge("rlvr_verdict_cache_bytes", "Bytes the verdict cache holds.", registry=registry)
        Gauge("rlvr_verdict_cache_max_bytes", "The cache's bound (0: off).", registry=registry).set(max_bytes)

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    async def outcomes(
        self, verifier: Verifier, items: Items, score: Callable[[Items], Awaitable[list[Outcome]]]
    ) -> list[Outcome]:
        """Outcomes of `items` in order: held ones from the cache, the others from `score` (then stored)."""
        if not self.enabled:
            return await score(items)
        keys, found = await asyncio.to_thread(self._lookup, verifier, items)
        misses = [index for index, outcome in enumerate(found) if outcome is None]
        self.lookups.labels(verifier.name, "hit").inc(len(items) - len(misses))
        self.lookups.labels(verifier.name, "miss").inc(len(misses))
        if not misses:
            return [outcome for outcome in found if outcome is not None]
        fresh = await score([items[index] for index in misses])
        for index, outcome in zip(misses, fresh, strict=True):
            found[index] = outcome
        self._store(verifier, [keys[index] for index in misses], fresh)
        return [outcome for outcome in found if outcome is not None]

    def _lookup(self, verifier: Verifier, items: Items) -> tuple[list[Key], list[Outcome | None]]:
        keys = [item_key(verifier, completion, reference) for completion, reference in items]
        found: list[Outcome | None] = []
        with self._lock:
            for key in keys:
                entry = self._entries.get(key)
                if entry is not None:
                    self._entries.move_to_end(key)
                found.append(entry[0] if entry else None)
        return keys, found

    def _store(self, verifier: Verifier, keys: list[Key], outcomes: list[Outcome]) -> None:
        kept = [(key, o) for key, o in zip(keys, outcomes, strict=True) if _reproducible(verifier, o)]
        self.unstored.labels(verifier.name).inc(len(outcomes) - len(kept))
        with self._lock:
            for key, outcome in kept:
                size = entry_bytes(key, outcome)
                if size > self.max_bytes or key in self._entries:
                    continue
                self._entries[key] = (outcome, size)
                self.bytes += size
                while self.bytes > self.max_bytes:
                    _, (_, dropped) = self._entries.popitem(last=False)
                    self.bytes -= dropped
                    self.evictions.inc()
            self.size.set(self.bytes)


def _reproducible(verifier: Verifier, outcome: Outcome) -> bool:
    """Only a verdict (status scored) that its verifier says scoring again would repeat."""
    if outcome.status != Status.SCORED:
        return False
    try:
        return bool(verifier.reproducible(Verdict(dict(outcome.components), outcome.answer, outcome.flags)))
    except Exception:  # a plugin's bug costs the cache an entry, never the request
        return False
