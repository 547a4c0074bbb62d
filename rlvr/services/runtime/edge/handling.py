"""The path every scoring request takes, whatever its wire format.

Token, size limits and admission (requests and body bytes in flight), the body read into one
buffer, the format's parse, scoring with cancellation on disconnect, the format's render; a
refused body is drained so that the client reads its 4xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from fastapi import Request, Response
from pydantic import ValidationError

from rlvr.services.runtime.auth import require_token
from rlvr.services.runtime.edge.wire import WireFormat
from rlvr.services.runtime.errors import ApiError, jsonable_errors
from rlvr.services.runtime.limits import Admission, declared_length, drain, read_body
from rlvr.services.runtime.service import ScoringService
from rlvr.services.runtime.settings import Settings

log = logging.getLogger("rlvr.service")

# OpenAPI: the body is read by hand (limits, budget), so routes declare its schema themselves.
SCORE_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScoreRequest"}}},
    }
}


def get_service(request: Request) -> ScoringService:
    service: ScoringService = request.app.state.service
    return service


def get_admission(request: Request) -> Admission:
    admission: Admission = request.app.state.admission
    return admission


async def handle_scoring(request: Request, settings: Settings, wire: WireFormat) -> Response:
    """Score one request in the format `wire`; see the module docstring."""
    service, admission = get_service(request), get_admission(request)
    try:
        require_token(request, settings, allow_query=wire.query_token)
        declared_length(request, settings.max_body_bytes)  # 413 before reading anything
        with admission.admit() as budget:
            try:
                async with service.drain.deadline(settings.body_timeout_s):  # or until the shutdown cut
                    body = await read_body(request, settings.max_body_bytes, budget)
            except TimeoutError:
                request.state.body_complete = True  # nothing to drain from a client that stopped sending
                if service.drain.cut():
                    raise service.drain.body_refused(settings.retry_after_s) from None
                late = f"the body did not arrive within {settings.body_timeout_s:g}s (RLVR_BODY_TIMEOUT_S)"
                raise ApiError(408, late) from None
            try:
                score_request = wire.parse(body)
            except ValidationError as exc:  # a translation that produced an invalid protocol-v1 request
                raise ApiError(422, "malformed request", detail=jsonable_errors(exc.errors())) from None
            del body  # the parsed strings are all that is kept while scoring

            async def work() -> bytes:
                batch = await service.results(score_request, via=wire.name)
                payload = wire.render(score_request, batch)
                if wire.adapter:
                    counter = service.metrics.adapter_items
                    for outcome in batch.outcomes:
                        counter.labels(wire.name, outcome.status.value).inc()
                return payload

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
