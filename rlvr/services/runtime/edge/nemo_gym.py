"""NeMo Gym's resource-server protocol: `POST /seed_session`, `POST /verify` (a translation to protocol v1).

`POST /seed_session`, `POST /verify`: NeMo Gym 0.7.0 `nemo_gym/server_utils.py` `ServerClient`
(`http://HOST:PORT/verify`). The task field `RLVR_NEMO_GYM_REFERENCE_FIELD` is the reference and
`RLVR_NEMO_GYM_VERIFIER` the verifier. Not judged: `mask_sample: true`, `failure_kind: "verifier_error"`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from rlvr.services.protocol import ScoreItem, ScoreRequest
from rlvr.services.runtime.auth import require_token
from rlvr.services.runtime.edge.handling import handle_scoring
from rlvr.services.runtime.edge.v1 import encode
from rlvr.services.runtime.edge.wire import (
    WireFormat,
    judged,
    label_text,
    routed_label,
    unjudged_reward,
    validate_body,
)
from rlvr.services.runtime.errors import ERROR_RESPONSES, ApiError
from rlvr.services.runtime.scoring import ScoredBatch
from rlvr.services.runtime.settings import Settings, get_settings

router = APIRouter()


class NeMoGymVerifyRequest(BaseModel):
    """NeMo Gym's verify request: the run request (`responses_create_params`, task fields) + `response`."""

    model_config = ConfigDict(extra="allow")

    responses_create_params: dict[str, Any] = Field(default_factory=dict)
    response: dict[str, Any]


def response_text(response: dict[str, Any]) -> str:
    """The assistant's text in an OpenAI Responses object: every `output_text` of its `message` items."""
    output = response.get("output")
    parts = []
    for item in output if isinstance(output, list) else []:
        if isinstance(item, dict) and item.get("type") == "message":
            content = item.get("content")
            for piece in content if isinstance(content, list) else []:
                if isinstance(piece, dict) and piece.get("type") == "output_text":
                    parts.append(str(piece.get("text", "")))
    return "".join(parts)


@router.post("/seed_session", responses=ERROR_RESPONSES, summary="NeMo Gym: start a session (stateless here)")
async def seed_session(request: Request, settings: Settings = Depends(get_settings)) -> Response:
    require_token(request, settings, allow_query=True)
    return Response(b"{}", media_type="application/json")


@router.post("/verify", responses=ERROR_RESPONSES, summary="NeMo Gym resource-server verify")
async def verify(request: Request, settings: Settings = Depends(get_settings)) -> Response:
    """The request echoed back with `reward`, `reward_components`, and `mask_sample`/`failure_kind` when not judged."""
    field = settings.nemo_gym_reference_field
    echoed: dict[str, Any] = {}

    def parse(body: bytearray) -> ScoreRequest:
        data: NeMoGymVerifyRequest = validate_body(NeMoGymVerifyRequest, body)
        extra = data.model_extra or {}
        if field not in extra:
            why = f"the task field {field!r} (the reference) is missing; its name is RLVR_NEMO_GYM_REFERENCE_FIELD"
            raise ApiError(422, why)
        value = extra[field]
        # A task may route itself: {"verifier": "math", "reference": "0.5"} as an object or as its JSON text.
        routes = isinstance(value, dict) and set(value) == {"verifier", "reference"}
        reference = label_text(json.dumps(value) if routes else value)
        if not isinstance(reference, str):
            raise ApiError(
                422, f"the task field {field!r} must be a string or a number, not {type(reference).__name__}"
            )
        echoed.update(data.model_dump(mode="json"))  # big integers stay integers; NaN becomes null
        named, reference = routed_label(reference)
        item = ScoreItem(completion=response_text(data.response), reference=reference, verifier=named)
        return ScoreRequest(verifier=settings.nemo_gym_verifier, items=[item])

    def render(_: ScoreRequest, batch: ScoredBatch) -> bytes:
        (outcome,) = batch.outcomes
        reward, components = unjudged_reward(outcome, batch.components_of(0))
        answer = echoed | {
            "reward": reward,
            "reward_components": components,
            "mask_sample": not judged(outcome),
            "failure_kind": None if judged(outcome) else "verifier_error",
            "failure_reason": None if judged(outcome) else f"{outcome.status.value}: {outcome.error}",
        }
        return encode(answer)

    return await handle_scoring(request, settings, WireFormat(name="nemo_gym", parse=parse, render=render))
