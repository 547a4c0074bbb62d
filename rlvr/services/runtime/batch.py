"""One request's items as the worker pool shares them out: each worker takes the next item when it has
room, and the items a dead worker held (but did not die on) come back for any live worker to take.

Every item taken ends exactly once: judged (`done`) or handed back (`give_back`). A worker with nothing
left to take waits while others still hold items that may come back, so no item is stranded.
"""

from __future__ import annotations

import threading
from collections import deque

from rlvr.services.protocol import Status
from rlvr.services.verifiers.outcome import Outcome


class Batch:
    """The items of one `WorkerPool.score` call, their per-item deadlines and their outcomes so far."""

    def __init__(self, name: str, items: list[tuple[str, str]], limits: list[float]) -> None:
        self.name = name
        self.items = items
        self.limits = limits  # seconds an item may take once it is at the head of a worker's pipe
        self.out: list[Outcome | None] = [None] * len(items)
        self.stopped = threading.Event()  # deadline, shutdown, disconnect or done: nothing more is taken
        self.failure: str | None = None  # why a worker gave up, for the items nobody could judge
        self._todo: deque[int] = deque(range(len(items)))
        self._held = 0  # taken by a worker and not yet done or handed back
        self._changed = threading.Condition()

    def take(self) -> int | None:
        """The next item to send to a worker, or None when there is none right now."""
        with self._changed:
            if self.stopped.is_set() or not self._todo:
                return None
            self._held += 1
            return self._todo.popleft()

    def done(self, index: int, outcome: Outcome) -> None:
        with self._changed:
            self.out[index] = outcome
            self._held -= 1
            self._changed.notify_all()

    def give_back(self, indices: list[int], why: str | None = None) -> None:
        """Items a worker took and cannot judge; they go first to whichever worker takes next."""
        with self._changed:
            self._todo.extendleft(reversed(indices))
            self._held -= len(indices)
            if why is not None:
                self.failure = why
            self._changed.notify_all()

    def more_may_come(self) -> bool:
        """For a worker holding nothing: wait while others hold items that may come back; whether any did."""
        with self._changed:
            while not self.stopped.is_set() and not self._todo and self._held:
                self._changed.wait()
            return bool(self._todo) and not self.stopped.is_set()

    def stop(self) -> None:
        with self._changed:
            self.stopped.set()
            self._changed.notify_all()

    def outcomes(self, late: Outcome, in_time: bool) -> list[Outcome]:
        """One outcome per item. Items never judged are `late` when the budget ran out first; when every
        worker was done in time, they are the ones no worker could take (each gave up: its start failed)."""
        fill = late
        if in_time:
            why = self.failure or "the pool is closing"
            fill = Outcome.failed(Status.ERROR, f"worker pool unavailable: {why}", "worker_unavailable")
        return [o if o is not None else fill for o in list(self.out)]
