"""The path every scoring request takes, whatever its wire format (`/score`, `/invocations`, adapters).

Token, size limits and the in-flight budget, the body read into one buffer, parsing, scoring
with cancellation on disconnect, and a refused body drained so that the client reads its 4xx.
The format-specific parts come in as two functions: bytes -> ScoreRequest, results -> bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from pydantic import ValidationError

from rlvr.services.protocol import ScoreRequest
from rlvr.services.runtime.auth import require_token
from rlvr.services.runtime.errors import ApiError, jsonable_errors
from rlvr.services.runtime.limits import declared_length, drain, parse_score_request, read_body
from rlvr.services.runtime.service import ScoringService, encode_response
from rlvr.services.runtime.settings import Settings

log = logging.getLogger("rlvr.service")

# OpenAPI: the body is read by hand (limits, budget), so routes declare its schema themselves.
SCORE_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScoreRequest"}}},
    }
}

Parse = Callable[[bytearray], ScoreRequest]
Render = Callable[[ScoreRequest, Any, str, list[dict[str, Any]]], Awaitable[bytes] | bytes]


async def handle_scoring(
    request: Request,
    settings: Settings,
    service: ScoringService,
    parse: Parse,
    render: Render,
    via: str,
    query_token: bool = False,
) -> Response:
    """Score one request of any wire format; see the module docstring."""
    try:
        require_token(request, settings, allow_query=query_token)
        declared_length(request, settings.max_body_bytes)  # 413 before reading anything
        with service.admission() as budget:
            try:
                async with service.drain.deadline(settings.body_timeout_s):  # or until the shutdown cut
                    body = await read_body(request, settings.max_body_bytes, budget)
            except TimeoutError:
                request.state.body_complete = True  # nothing to drain from a client that stopped sending
                if service.drain.cut():
                    raise service.drain.body_refused(settings.retry_after_s) from None
                raise ApiError(408, f"the body did not arrive within {settings.body_timeout_s:g}s") from None
            try:
                score_request = parse(body)
            except ValidationError as exc:  # a translation that produced an invalid protocol-v1 request
                raise ApiError(422, "malformed request", detail=jsonable_errors(exc.errors())) from None
            del body  # the parsed strings are all that is kept while scoring

            async def work() -> bytes:
                verifier, request_id, results = await service.results(score_request, via=via)
                rendered = render(score_request, verifier, request_id, results)
                return await rendered if asyncio.iscoroutine(rendered) else rendered  # type: ignore[return-value]

            payload = await unless_disconnected(request, work())
    except ApiError:
        await drain(request)
        raise
    if payload is None:
        service.metrics.disconnects.inc()
        return Response(status_code=499)  # nobody is listening; the work was dropped
    return Response(payload, media_type="application/json")


async def unless_disconnected(request: Request, work: Coroutine[Any, Any, bytes]) -> bytes | None:
    """The result of `work`, or None (with `work` cancelled) when the client disconnects first."""
    task = asyncio.ensure_future(work)

    async def disconnected() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    watch = asyncio.ensure_future(disconnected())
    try:
        await asyncio.wait({task, watch}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watch.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    log.info("client disconnected; its remaining work was dropped")
    return None


def get_service(request: Request) -> ScoringService:
    service: ScoringService = request.app.state.service
    return service


async def handle_protocol_v1(request: Request, settings: Settings, service: ScoringService, via: str) -> Response:
    """A protocol-v1 request in, a protocol-v1 response out (`/score`, `/invocations`)."""
    return await handle_scoring(
        request,
        settings,
        service,
        parse=lambda body: parse_score_request(body, settings),
        render=lambda _request, verifier, request_id, results: encode_response(verifier, request_id, results),
        via=via,
    )
