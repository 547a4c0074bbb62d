"""The service's shutdown cut: on SIGTERM, the time budget of every request in flight ends early enough that
each one is answered 200 before uvicorn's grace ends (the arithmetic: `settings.py`'s docstring).

The connection layer (`connections.py`) calls `Drain.begin` when uvicorn starts its graceful shutdown;
every wait for scoring work (inline thread, worker pool) and for a body runs under `Drain.deadline`, which
ends at the request's own deadline or at the cut, whichever comes first. Items not judged by then are
`timeout` (`shutdown_outcome`), a body not received by then gets 503 (`shutting_down`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from rlvr.services.protocol import Status
from rlvr.services.runtime.errors import ApiError
from rlvr.services.runtime.scoring import deadline_outcome
from rlvr.services.verifiers.outcome import Outcome

log = logging.getLogger("rlvr.service")

STATE_KEY = "rlvr.drain"  # where the app's lifespan state holds its Drain, for the connection layer


class Drain:
    """When the server shuts down, how long requests in flight may still score: `scoring_s` after `begin`."""

    def __init__(self, scoring_s: float) -> None:
        self.scoring_s = scoring_s
        self._cut_at: float | None = None  # loop time at which scoring stops; None while serving
        self._timeouts: set[asyncio.Timeout] = set()

    @property
    def begun(self) -> bool:
        return self._cut_at is not None

    def cut(self) -> bool:
        """Whether the cut has come: requests in flight stop scoring now."""
        return self._cut_at is not None and asyncio.get_running_loop().time() >= self._cut_at

    def begin(self) -> None:
        """Shutdown has begun (idempotent; on the event loop): every budget now ends by the cut at the latest."""
        if self._cut_at is not None:
            return
        self._cut_at = asyncio.get_running_loop().time() + self.scoring_s
        log.info("shutting down: requests in flight may score %.1fs more", self.scoring_s)
        for timeout in self._timeouts:
            when = timeout.when()
            if not timeout.expired() and (when is None or when > self._cut_at):
                timeout.reschedule(self._cut_at)

    @asynccontextmanager
    async def deadline(self, seconds: float) -> AsyncIterator[asyncio.Timeout]:
        """`asyncio.timeout(seconds)`, ended early by the cut (TimeoutError either way)."""
        when = asyncio.get_running_loop().time() + seconds
        if self._cut_at is not None:
            when = min(when, self._cut_at)
        async with asyncio.timeout_at(when) as timeout:
            self._timeouts.add(timeout)
            try:
                yield timeout
            finally:
                self._timeouts.discard(timeout)

    def late_outcome(self, deadline_s: float) -> Outcome:
        """The outcome of an item its request's budget ran out on: its deadline, or the shutdown."""
        if self.cut():
            return Outcome.failed(Status.TIMEOUT, "not judged before the service shut down", "shutting_down")
        return deadline_outcome(deadline_s)

    def body_refused(self, retry_after_s: int) -> ApiError:
        """The answer to a request whose body had not arrived when the cut came."""
        return ApiError(
            503,
            "the service is shutting down; send the request again (another replica will answer)",
            headers={"Retry-After": str(retry_after_s)},
        )
