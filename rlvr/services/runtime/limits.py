"""Admission and request-size limits: how many scoring requests and body bytes are in flight, bodies
read with a cap into one buffer (an oversized upload costs at most the cap), and refused bodies
drained (within a bound) so every client reads its 4xx.

A server that answers 413 and closes while the client is still writing makes the client's kernel
see a reset: curl and httpx read the answer anyway, Python's urllib (and `requests`) report
ECONNRESET and no status. Mature servers drain or linger-close; so do we, up to a bound.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from fastapi import Request

from rlvr.services.runtime.errors import ApiError
from rlvr.services.runtime.metrics import Metrics
from rlvr.services.runtime.refusals import Overloaded
from rlvr.services.runtime.settings import Settings

DRAIN_MAX_BYTES = 256 * 1024 * 1024  # past this a refused upload is cut off (the client sees a reset)
DRAIN_MAX_S = 10.0


def declared_length(request: Request, limit: int) -> int:
    """The Content-Length the client declared (0 when absent or malformed: the stream is counted),
    or 413 when it exceeds `limit`."""
    text = request.headers.get("content-length", "")
    declared = int(text) if text.isdigit() else 0
    if declared > limit:
        raise ApiError(413, f"body of {declared} bytes exceeds the limit of {limit} bytes (RLVR_MAX_BODY_BYTES)")
    return declared


async def drain(request: Request) -> None:
    """Read and drop what is left of the body, within DRAIN_MAX_BYTES and DRAIN_MAX_S."""
    if getattr(request.state, "body_complete", False):
        return
    seen = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_MAX_S):
            while seen <= DRAIN_MAX_BYTES:
                message = await request.receive()
                if message["type"] != "http.request":
                    break
                seen += len(message.get("body", b""))
                if not message.get("more_body", False):
                    break
    request.state.body_complete = True


async def read_body(request: Request, limit: int, budget: BodyBudget) -> bytearray:
    """The request body in one buffer, or 413 as soon as it exceeds `limit` bytes.

    Bytes are taken from the service's in-flight budget as they arrive (429 when it is spent).
    """
    body = bytearray()
    while True:
        message = await request.receive()
        if message["type"] != "http.request":  # the client went away mid-body
            request.state.body_complete = True
            raise ApiError(400, "the client disconnected before sending the whole body")
        chunk = message.get("body", b"")
        if len(body) + len(chunk) > limit:
            raise ApiError(413, f"body exceeds the limit of {limit} bytes (RLVR_MAX_BODY_BYTES)")
        budget.take(len(body) + len(chunk) - budget.held)
        body += chunk
        if not message.get("more_body", False):
            request.state.body_complete = True
            return body


class Admission:
    """Scoring requests and their body bytes in flight: more than the settings allow is `Overloaded`."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.requests = 0
        self.bytes = 0
        metrics.ops.track_inflight(lambda: self.bytes, settings.max_inflight_bytes)

    @contextlib.contextmanager
    def admit(self) -> Iterator[BodyBudget]:
        """Admit one scoring request, or refuse it when the service is full.

        Its body takes bytes from the in-flight budget as they arrive, not as declared: a client that
        declares 32 MiB and sends nothing holds nothing but its slot, and that only until the body timeout.
        """
        if self.requests >= self.settings.max_concurrent_requests:
            raise Overloaded(
                f"{self.requests} scoring requests in flight (RLVR_MAX_CONCURRENT_REQUESTS)",
                self.settings.retry_after_s,
            )
        budget = BodyBudget(self)
        self.requests += 1
        self.metrics.inflight.inc()
        try:
            yield budget
        finally:
            self.requests -= 1
            self.metrics.inflight.dec()
            budget.release()


class BodyBudget:
    """The share of `max_inflight_bytes` one request holds while its body is read and scored."""

    def __init__(self, admission: Admission) -> None:
        self._admission = admission
        self.held = 0

    def take(self, size: int) -> None:
        """Hold `size` more bytes, or raise `Overloaded` when the budget cannot cover them."""
        admission = self._admission
        if size <= 0:
            return
        limit = admission.settings.max_inflight_bytes
        if admission.bytes + size > limit:
            raise Overloaded(
                f"{admission.bytes} body bytes in flight; {size} more exceed the budget of {limit} "
                "(RLVR_MAX_INFLIGHT_BYTES)",
                admission.settings.retry_after_s,
            )
        admission.bytes += size
        self.held += size

    def release(self) -> None:
        self._admission.bytes -= self.held
        self.held = 0
