"""Other trainers' reward protocols on the same app: thin translations to protocol v1 and back.

Each route takes the request its trainer already sends (no header: the token may come as
`?token=…`), scores it through the same path as `/score` (limits, deadlines, metrics, logs), and
answers in that trainer's terms, saying when an item could not be judged:

- `POST /adapters/openrlhf/{verifier}`: OpenRLHF 0.9.1-0.11.2 `openrlhf/utils/agent.py` (one sample
  per POST) and 0.8.x `openrlhf/utils/remote_rm_utils.py` (a batch per POST). Not judged: reward 0
  and `extra_logs.rlvr_unscored` = 1 (OpenRLHF cannot drop one sample; a missing reward crashes it).
- `POST /adapters/slime/{verifier}`: slime v0.3.1 `slime/rollout/rm_hub/__init__.py` `remote_rm`
  (one sample per POST; the whole JSON answer is the reward, read with `--reward-key reward`).
  Not judged: `reward` 0 with `"unscored": true` and the status in the same dict.
- `POST /seed_session`, `POST /verify`: NeMo Gym, in `nemo_gym.py` (the helpers here are shared).

Every count of unjudged items is also in `rlvr_adapter_items_total{adapter,status}`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from rlvr.services.protocol import ScoreItem, ScoreRequest, Status
from rlvr.services.runtime.errors import ERROR_RESPONSES, ApiError, jsonable_errors
from rlvr.services.runtime.handling import get_service, handle_scoring
from rlvr.services.runtime.service import ScoringService, encode
from rlvr.services.runtime.settings import Settings, get_settings

router = APIRouter()

# Special tokens around a decoded `query` (`<|im_end|>`, `<|endoftext|>`, `</s>`): not the answer.
_SPECIAL_WORDS = ("</s>", "<s>", "<eos>", "<pad>", "<bos>")
_MAX_SPECIAL_CHARS = 44  # `<|` + 40 + `|>`
_MAX_PREFIX_CHARS = 64  # what decoding may put before the prompt (a BOS token), at most


def _special_before(text: str, end: int) -> int:
    """Start of a special token ending at `end`, or -1."""
    if text.endswith("|>", 0, end):
        start = text.rfind("<|", max(0, end - _MAX_SPECIAL_CHARS), end - 2)
        inner = text[start + 2 : end - 2] if start >= 0 else ""
        if start >= 0 and len(inner) > 0 and not any(c.isspace() or c in "<>|" for c in inner):
            return start
    return next((end - len(w) for w in _SPECIAL_WORDS if text.endswith(w, 0, end)), -1)


def strip_trailing_special(text: str) -> str:
    """`text` without the special tokens and whitespace it ends with, in linear time.

    >>> strip_trailing_special("#### 4 <|im_end|>\\n<|endoftext|>")
    '#### 4'
    """
    end = len(text)
    while True:
        while end and text[end - 1].isspace():
            end -= 1
        start = _special_before(text, end)
        if start < 0:
            return text[:end]
        end = start


def _only_special(text: str) -> bool:
    """Whether `text` is nothing but special tokens and whitespace (what a BOS prefix looks like)."""
    return not strip_trailing_special(text)


def label_text(value: Any) -> Any:
    # Labels are strings in every framework's datasets, but a number is what people send first.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value) if isinstance(value, float) else str(value)
    return value


def validate_body(model: type[BaseModel], body: bytes | bytearray) -> Any:
    if not body:
        raise ApiError(422, "empty body: send a JSON object")
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise ApiError(422, "malformed request", detail=jsonable_errors(exc.errors())) from None


def _check_items(count: int, settings: Settings) -> None:
    if count > settings.max_items:
        raise ApiError(413, f"{count} items exceed the limit of {settings.max_items} per request")


def count_items(request: Request, adapter: str, results: list[dict[str, Any]]) -> None:
    counter = request.app.state.metrics.adapter_items
    for result in results:
        counter.labels(adapter, result["status"]).inc()


# --- OpenRLHF ------------------------------------------------------------------------------------


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


def completion_from_query(query: str, prompt: str) -> str | None:
    """The response part of an OpenRLHF `query` (prompt + response), trailing special tokens removed.

    The prompt must open the query, after at most a short run of special tokens (a BOS token the
    decoder adds); anything else is None (not scored): reading from a *later* copy of the prompt
    would let a response that repeats the question hide the answers it gave before it.

    >>> completion_from_query("<s>Q: 2+2?\\nA: #### 4<|im_end|>", "Q: 2+2?\\nA:")
    ' #### 4'
    """
    found = query.find(prompt, 0, len(prompt) + _MAX_PREFIX_CHARS) if prompt else 0
    if found < 0 or not _only_special(query[:found]):
        return None
    return strip_trailing_special(query[found + len(prompt) :])


@router.post(
    "/adapters/openrlhf/{verifier}", responses=ERROR_RESPONSES, summary="OpenRLHF remote reward (--reward.remote_url)"
)
async def openrlhf(
    verifier: str,
    request: Request,
    settings: Settings = Depends(get_settings),
    service: ScoringService = Depends(get_service),
) -> Response:
    """`{"query", "prompts", "labels"}` -> `{"rewards", "scores", "extra_logs"}`; `?extra_logs=false` omits the logs."""
    extra_logs = request.query_params.get("extra_logs", "true").lower() not in ("0", "false", "no")
    located: list[bool] = []

    def parse(body: bytearray) -> ScoreRequest:
        data: OpenRLHFRequest = validate_body(OpenRLHFRequest, body)
        if not (len(data.query) == len(data.prompts) == len(data.labels)):
            raise ApiError(
                422,
                f"query, prompts and labels must have one entry per sample; got {len(data.query)}, "
                f"{len(data.prompts)} and {len(data.labels)}",
            )
        _check_items(len(data.query), settings)
        items = []
        for index, (query, prompt, label) in enumerate(zip(data.query, data.prompts, data.labels, strict=True)):
            completion = completion_from_query(query, prompt)
            located.append(completion is not None)
            # A query whose prompt cannot be found is not scored from the whole text (its few-shot
            # answers would count): it is reported unscored below.
            items.append(ScoreItem(id=str(index), completion=completion or "", reference=label))
        return ScoreRequest(verifier=verifier, items=items or [ScoreItem(completion="", reference="0")])

    def render(score_request: ScoreRequest, verified: Any, _: str, results: list[dict[str, Any]]) -> bytes:
        results = results[: len(located)]  # an empty batch was scored as one placeholder
        for index, ok in enumerate(located):
            if not ok:
                results[index] = {
                    **results[index],
                    "status": Status.ERROR.value,
                    "reward": None,
                    "error": "the prompt was not found in the query",
                    "flags": ["prompt_not_in_query"],
                }
        count_items(request, "openrlhf", results)
        rewards = [r["reward"] if r["status"] == Status.SCORED else 0.0 for r in results]
        answer: dict[str, Any] = {"rewards": rewards, "scores": rewards}
        if extra_logs:
            logs: dict[str, list[float]] = {name: [] for name in verified.components}
            logs["rlvr_unscored"] = []
            for r in results:
                scored = r["status"] == Status.SCORED
                for name in verified.components:
                    logs[name].append(r["components"].get(name, 0.0) if scored else 0.0)
                logs["rlvr_unscored"].append(0.0 if scored else 1.0)
            # One sample per request (0.9.1+): scalars, the shape its experience maker expects.
            answer["extra_logs"] = {k: v[0] for k, v in logs.items()} if len(results) == 1 else logs
        return encode(answer)

    return await handle_scoring(request, settings, service, parse, render, via="openrlhf", query_token=True)


# --- slime ---------------------------------------------------------------------------------------


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


@router.post(
    "/adapters/slime/{verifier}",
    responses=ERROR_RESPONSES,
    summary="slime remote reward (--rm-type remote_rm --rm-url)",
)
async def slime(
    verifier: str,
    request: Request,
    settings: Settings = Depends(get_settings),
    service: ScoringService = Depends(get_service),
) -> Response:
    """`{"prompt", "response", "label"}` -> `{"reward": total, "components", "status", ...}` (`--reward-key reward`)."""

    def parse(body: bytearray) -> ScoreRequest:
        data: SlimeRequest = validate_body(SlimeRequest, body)
        return ScoreRequest(verifier=verifier, items=[ScoreItem(completion=data.response, reference=data.label)])

    def render(_: ScoreRequest, verified: Any, __: str, results: list[dict[str, Any]]) -> bytes:
        (result,) = results
        count_items(request, "slime", results)
        scored = result["status"] == Status.SCORED
        return encode(
            {
                "reward": result["reward"] if scored else 0.0,
                "components": result["components"] if scored else dict.fromkeys(verified.components, 0.0),
                "status": result["status"],
                "unscored": not scored,
                "answer": result["answer"],
                "flags": result["flags"],
                "error": result["error"],
            }
        )

    return await handle_scoring(request, settings, service, parse, render, via="slime", query_token=True)
