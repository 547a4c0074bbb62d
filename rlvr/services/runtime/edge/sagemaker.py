"""The SageMaker inference contract on the same app: `GET /ping` and `POST /invocations` (protocol v1).

`docker run IMAGE serve` starts `rlvr serve` on 0.0.0.0:8080 (docker/sagemaker-entrypoint.sh).
`/invocations` takes and returns exactly what `/score` does, through the same path (token, limits,
deadline, disconnect); the body's `verifier` picks the verifier, optional when one is hosted.
A request whose `X-Amzn-SageMaker-Custom-Attributes` holds `rlvr=verifiers` gets `GET /verifiers`
instead (InvokeEndpoint forwards that header verbatim; it is the only way to reach another route).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from rlvr.services.protocol import ScoreResponse, VerifiersResponse
from rlvr.services.runtime.edge.handling import SCORE_REQUEST_BODY, get_service, handle_scoring
from rlvr.services.runtime.edge.v1 import protocol_v1
from rlvr.services.runtime.errors import ERROR_RESPONSES
from rlvr.services.runtime.limits import drain
from rlvr.services.runtime.service import ScoringService
from rlvr.services.runtime.settings import Settings, get_settings

router = APIRouter()

CUSTOM_ATTRIBUTES = "x-amzn-sagemaker-custom-attributes"
DESCRIBE = "rlvr=verifiers"


@router.get("/ping", summary="SageMaker health check: 200 once ready to score", responses={503: {}})
async def ping(service: ScoringService = Depends(get_service)) -> Response:
    if service.ready:
        return Response(b'{"status":"ready"}', media_type="application/json")
    return Response(b'{"status":"starting"}', status_code=503, media_type="application/json")


@router.post(
    "/invocations",
    response_model=ScoreResponse,
    responses=ERROR_RESPONSES,
    openapi_extra=SCORE_REQUEST_BODY,
    summary="SageMaker InvokeEndpoint: the same as POST /score",
)
async def invocations(
    request: Request,
    settings: Settings = Depends(get_settings),
    service: ScoringService = Depends(get_service),
) -> Response:
    """One result per item, in item order, as `/score`; `rlvr=verifiers` in the custom attributes lists verifiers."""
    attributes = [a.strip() for a in request.headers.get(CUSTOM_ATTRIBUTES, "").split(",")]
    if DESCRIBE in attributes:
        await drain(request)
        listing = VerifiersResponse(verifiers=service.describe())
        return Response(listing.model_dump_json().encode(), media_type="application/json")
    return await handle_scoring(request, settings, protocol_v1(settings, via="invocations"))
