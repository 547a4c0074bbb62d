"""OpenRLHF's remote reward protocol: `POST /adapters/openrlhf/{verifier}` (`--reward.remote_url`).

OpenRLHF 0.9.1-0.11.2 `openrlhf/utils/agent.py` (one sample per POST) and 0.8.x
`openrlhf/utils/remote_rm_utils.py` (a batch per POST): `{"query", "prompts", "labels"}` in,
`{"rewards", "scores", "extra_logs"}` out. Not judged: reward 0 and `extra_logs.rlvr_unscored` = 1
(OpenRLHF cannot drop one sample; a missing reward crashes it). `?extra_logs=false` omits the logs.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, field_validator

from rlvr.services.protocol import ScoreItem, ScoreRequest, Status
from rlvr.services.runtime.edge.handling import handle_scoring
from rlvr.services.runtime.edge.special_tokens import completion_from_query
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
from rlvr.services.verifiers.outcome import Outcome

router = APIRouter()

PROMPT_NOT_FOUND = Outcome.failed(Status.ERROR, "the prompt was not found in the query", "prompt_not_in_query")


class OpenRLHFRequest(BaseModel):
    """OpenRLHF's body: `query` is prompt + response as decoded (special tokens kept)."""

    model_config = ConfigDict(extra="ignore")

    query: list[str]
    prompts: list[str]
    labels: list[str]

    @field_validator("labels", mode="before")
    @classmethod
    def _labels(cls, value: Any) -> Any:
        return [label_text(x) for x in value] if isinstance(value, list) else value


def openrlhf_format(verifier: str, settings: Settings, extra_logs: bool) -> WireFormat:
    located: list[bool] = []

    def parse(body: bytearray) -> ScoreRequest:
        data: OpenRLHFRequest = validate_body(OpenRLHFRequest, body)
        if not (len(data.query) == len(data.prompts) == len(data.labels)):
            raise ApiError(
                422,
                f"query, prompts and labels must have one entry per sample; got {len(data.query)}, "
                f"{len(data.prompts)} and {len(data.labels)}",
            )
        if len(data.query) > settings.max_items:
            raise ApiError(413, f"{len(data.query)} items exceed the limit of {settings.max_items} per request")
        items = []
        for index, (query, prompt, label) in enumerate(zip(data.query, data.prompts, data.labels, strict=True)):
            completion = completion_from_query(query, prompt)
            located.append(completion is not None)
            # A query whose prompt cannot be found is not scored from the whole text (its few-shot
            # answers would count): it is reported unscored in render.
            named, reference = routed_label(label)
            items.append(ScoreItem(id=str(index), completion=completion or "", reference=reference, verifier=named))
        return ScoreRequest(verifier=verifier, items=items or [ScoreItem(completion="", reference="0")])

    def render(_: ScoreRequest, batch: ScoredBatch) -> bytes:
        del batch.outcomes[len(located) :], batch.ids[len(located) :]  # an empty batch was scored as a placeholder
        for index, ok in enumerate(located):
            if not ok:
                batch.replace(index, PROMPT_NOT_FOUND)
        components = batch.verifier.components  # every verifier's, when the batch mixed several
        rewards = [unjudged_reward(o, batch.components_of(i))[0] for i, o in enumerate(batch.outcomes)]
        answer: dict[str, Any] = {"rewards": rewards, "scores": rewards}
        if extra_logs:
            logs: dict[str, list[float]] = {name: [] for name in components}
            logs["rlvr_unscored"] = []
            for index, outcome in enumerate(batch.outcomes):
                values = unjudged_reward(outcome, batch.components_of(index))[1]
                for name in components:
                    logs[name].append(values.get(name, 0.0))
                logs["rlvr_unscored"].append(0.0 if judged(outcome) else 1.0)
            # One sample per request (0.9.1+): scalars, the shape its experience maker expects.
            answer["extra_logs"] = {k: v[0] for k, v in logs.items()} if len(batch.outcomes) == 1 else logs
        return encode(answer)

    return WireFormat(name="openrlhf", parse=parse, render=render)


@router.post(
    "/adapters/openrlhf/{verifier}", responses=ERROR_RESPONSES, summary="OpenRLHF remote reward (--reward.remote_url)"
)
async def openrlhf(verifier: str, request: Request, settings: Settings = Depends(get_settings)) -> Response:
    """`{"query", "prompts", "labels"}` -> `{"rewards", "scores", "extra_logs"}`; `?extra_logs=false` omits the logs."""
    extra_logs = request.query_params.get("extra_logs", "true").lower() not in ("0", "false", "no")
    return await handle_scoring(request, settings, openrlhf_format(verifier, settings, extra_logs))
