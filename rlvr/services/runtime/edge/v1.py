"""Protocol v1 on `POST /score`: the request as docs/protocol.md specifies it, one result per item."""

from __future__ import annotations

import json

import orjson
from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError

from rlvr.services.protocol import ScoreRequest, ScoreResponse
from rlvr.services.runtime.edge.handling import SCORE_REQUEST_BODY, handle_scoring
from rlvr.services.runtime.edge.wire import WireFormat
from rlvr.services.runtime.errors import ERROR_RESPONSES, ApiError, jsonable_errors
from rlvr.services.runtime.scoring import ScoredBatch
from rlvr.services.runtime.settings import Settings, get_settings

router = APIRouter()


def parse_score_request(body: bytes | bytearray, settings: Settings) -> ScoreRequest:
    """Validate a /score body: 422 naming the problem, 413 for too many items."""
    if not body:
        raise ApiError(422, "empty body: send a JSON object with 'items'")
    try:
        request = ScoreRequest.model_validate_json(body)
    except ValidationError as exc:
        raise ApiError(422, "malformed request", detail=jsonable_errors(exc.errors())) from None
    if len(request.items) > settings.max_items:
        raise ApiError(
            413,
            f"{len(request.items)} items exceed the limit of {settings.max_items} per request (RLVR_MAX_ITEMS)",
        )
    return request


def render_v1(_: ScoreRequest, batch: ScoredBatch) -> bytes:
    """The protocol-v1 response body (`/score`, `/invocations`)."""
    verifier = batch.verifier
    return encode(
        {
            "request_id": batch.request_id,
            "verifier": {"name": verifier.name, "version": verifier.version},
            "results": batch.result_dicts(),
        }
    )


def encode(payload: object) -> bytes:
    """JSON-encode; falls back to ASCII escapes for strings orjson refuses (lone surrogates)."""
    try:
        return orjson.dumps(payload)
    except TypeError:
        return json.dumps(payload, ensure_ascii=True).encode()


def protocol_v1(settings: Settings, via: str) -> WireFormat:
    return WireFormat(
        name=via,
        parse=lambda body: parse_score_request(body, settings),
        render=render_v1,
        adapter=False,
        query_token=False,
    )


@router.post(
    "/score",
    response_model=ScoreResponse,
    responses=ERROR_RESPONSES,
    openapi_extra=SCORE_REQUEST_BODY,
    summary="Score a batch of completions",
)
async def score(request: Request, settings: Settings = Depends(get_settings)) -> Response:
    """One result per item, in item order; `reward` is null when `status` is not `scored`."""
    return await handle_scoring(request, settings, protocol_v1(settings, via="score"))
