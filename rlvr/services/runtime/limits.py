"""Request-size limits: bodies are read with a cap, so an oversized upload costs at most the cap."""

from __future__ import annotations

from fastapi import Request
from pydantic import ValidationError

from rlvr.services.protocol import ScoreRequest
from rlvr.services.runtime.errors import ApiError, jsonable_errors
from rlvr.services.runtime.settings import Settings


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"body of {declared} bytes exceeds the limit of {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_score_request(body: bytes, settings: Settings) -> ScoreRequest:
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
