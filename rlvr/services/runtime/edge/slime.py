"""slime's remote reward protocol: `POST /adapters/slime/{verifier}` (`--rm-type remote_rm --rm-url`).

slime v0.3.1 `slime/rollout/rm_hub/__init__.py` `remote_rm`: one sample per POST; the whole JSON
answer is the reward, read with `--reward-key reward`. Not judged: `reward` 0 with
`"unscored": true` and the status in the same dict.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, field_validator

from rlvr.services.protocol import ScoreItem, ScoreRequest
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
from rlvr.services.runtime.errors import ERROR_RESPONSES
from rlvr.services.runtime.scoring import ScoredBatch
from rlvr.services.runtime.settings import Settings, get_settings

router = APIRouter()


class SlimeRequest(BaseModel):
    """slime's `remote_rm` body."""

    model_config = ConfigDict(extra="ignore")

    prompt: str | list[dict[str, Any]] | None = None
    response: str
    label: str

    @field_validator("label", mode="before")
    @classmethod
    def _label_str(cls, value: Any) -> Any:
        return label_text(value)


def parse(verifier: str, body: bytearray) -> ScoreRequest:
    data: SlimeRequest = validate_body(SlimeRequest, body)
    named, reference = routed_label(data.label)
    item = ScoreItem(completion=data.response, reference=reference, verifier=named)
    return ScoreRequest(verifier=verifier, items=[item])


def render(_: ScoreRequest, batch: ScoredBatch) -> bytes:
    (outcome,) = batch.outcomes
    reward, components = unjudged_reward(outcome, batch.components_of(0))
    return encode(
        {
            "reward": reward,
            "components": components,
            "status": outcome.status.value,
            "unscored": not judged(outcome),
            "answer": outcome.answer,
            "flags": list(outcome.flags),
            "error": outcome.error,
        }
    )


@router.post(
    "/adapters/slime/{verifier}",
    responses=ERROR_RESPONSES,
    summary="slime remote reward (--rm-type remote_rm --rm-url)",
)
async def slime(verifier: str, request: Request, settings: Settings = Depends(get_settings)) -> Response:
    """`{"prompt", "response", "label"}` -> `{"reward": total, "components", "status", ...}` (`--reward-key reward`)."""
    wire = WireFormat(name="slime", parse=lambda body: parse(verifier, body), render=render)
    return await handle_scoring(request, settings, wire)
