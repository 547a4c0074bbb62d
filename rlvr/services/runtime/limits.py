"""Request-size limits: bodies are read with a cap into one buffer, so an oversized upload costs at
most the cap, and refused bodies are drained (within a bound) so every client reads its 4xx.

A server that answers 413 and closes while the client is still writing makes the client's kernel
see a reset: curl and httpx read the answer anyway, Python's urllib (and `requests`) report
ECONNRESET and no status. Mature servers drain or linger-close; so do we, up to a bound.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from fastapi import Request
from pydantic import ValidationError

from rlvr.services.protocol import ScoreRequest
from rlvr.services.runtime.errors import ApiError, jsonable_errors
from rlvr.services.runtime.settings import Settings

if TYPE_CHECKING:
    from rlvr.services.runtime.service import BodyBudget

DRAIN_MAX_BYTES = 256 * 1024 * 1024  # past this a refused upload is cut off (the client sees a reset)
DRAIN_MAX_S = 10.0


def declared_length(request: Request, limit: int) -> int:
    """The Content-Length the client declared (0 when absent or malformed: the stream is counted),
    or 413 when it exceeds `limit`."""
    text = request.headers.get("content-length", "")
    declared = int(text) if text.isdigit() else 0
    if declared > limit:
        raise ApiError(413, f"body of {declared} bytes exceeds the limit of {limit} bytes")
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
            raise ApiError(413, f"body exceeds the limit of {limit} bytes")
        budget.take(len(body) + len(chunk) - budget.held)
        body += chunk
        if not message.get("more_body", False):
            request.state.body_complete = True
            return body


def parse_score_request(body: bytes | bytearray, settings: Settings) -> ScoreRequest:
    """Validate a /score body: 422 naming the problem, 413 for too many items."""
    if not body:
        raise ApiError(422, "empty body: send a JSON object with 'items'")
    try:
        request = ScoreRequest.model_validate_json(body)
    except ValidationError as exc:
        raise ApiError(422, "malformed request", detail=jsonable_errors(exc.errors())) from None
    if len(request.items) > settings.max_items:
        raise ApiError(413, f"{len(request.items)} items exceed the limit of {settings.max_items} per request")
    return request
