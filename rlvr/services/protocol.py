"""Wire protocol v1 of the reward verifier service (docs/protocol.md): pydantic models only.

Importable without FastAPI, so the trainer's reward client validates the same shapes
the service produces.

>>> req = ScoreRequest(items=[ScoreItem(completion="... #### 18", reference="18")])
>>> req.items[0].id is None
True
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

PROTOCOL_VERSION = "1"


class Status(StrEnum):
    """Whether the verifier reached a verdict for an item."""

    SCORED = "scored"
    TIMEOUT = "timeout"
    ERROR = "error"


class ScoreItem(BaseModel):
    """One completion to score against its reference."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(default=None, description="Caller's id, echoed back; defaults to the item's index.")
    completion: str = Field(description="The model's output, read whole.")
    reference: str = Field(description="Reference answer: a bare value or a whole worked solution.")
    verifier: str | None = Field(
        default=None, description="The verifier that judges this item; the request's `verifier` when absent."
    )
    prompt: str | None = None
    group_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id", mode="before")
    @classmethod
    def _id_from_int(cls, value: Any) -> Any:
        # JSON ids are often integers; accept them and keep the wire type a string.
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("reference", mode="before")
    @classmethod
    def _reference_from_number(cls, value: Any) -> Any:
        # `"reference": 18` is what people send first; accept numbers, never booleans.
        if isinstance(value, int | float) and not isinstance(value, bool):
            return repr(value) if isinstance(value, float) else str(value)
        return value


class ScoreRequest(BaseModel):
    """A batch of items, each judged by its own verifier or the request's."""

    model_config = ConfigDict(extra="ignore")

    verifier: str | None = Field(
        default=None,
        description="Default verifier of items that name none; optional when the service hosts exactly one "
        "(or has a default).",
    )
    request_id: str | None = Field(default=None, description="Echoed back; generated when absent.")
    deadline_s: float | None = Field(
        default=None,
        strict=True,  # a number: `true` is not one second
        gt=0,
        le=3600,
        description="Time budget of the whole request; items not judged by then come back `timeout`. "
        "The service's own default (and cap) applies otherwise.",
    )
    items: Annotated[list[ScoreItem], Field(min_length=1)]


class VerifierInfo(BaseModel):
    """Name and version of the verifier that produced a response."""

    name: str
    version: str


class ItemResult(BaseModel):
    """The verdict for one item; `reward` is None unless `status` is `scored`."""

    id: str
    status: Status
    reward: float | None
    components: dict[str, float] = Field(default_factory=dict)
    answer: str | None = None
    flags: list[str] = Field(default_factory=list)
    error: str | None = Field(default=None, description="Why the item could not be scored.")
    verifier: VerifierInfo | None = Field(
        default=None, description="Who judged this item; present when the request mixed several verifiers."
    )


class ScoreResponse(BaseModel):
    """One result per item, in item order."""

    request_id: str
    verifier: VerifierInfo
    results: list[ItemResult]


class VerifierDescription(BaseModel):
    """What `GET /verifiers` lists for each hosted verifier."""

    name: str
    version: str
    components: dict[str, float] = Field(description="Component name -> its maximum value.")
    description: str = ""
    isolation: str = Field(
        description="`inline`, `process` (worker pool with hard deadlines) or `remote` (another rlvr service)."
    )
    details: dict[str, Any] = Field(
        default_factory=dict, description="Verifier-specific facts, e.g. the code sandbox's mode and layers."
    )


class VerifiersResponse(BaseModel):
    protocol: str = PROTOCOL_VERSION
    verifiers: list[VerifierDescription]


class ErrorResponse(BaseModel):
    """Body of every 4xx answer."""

    error: str
    detail: Any = None
