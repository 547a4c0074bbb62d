"""What a wire format is: a parse of its body into a protocol-v1 request, a render of typed results.

The results a format renders are a `ScoredBatch` (scoring.py): the verifier, the request id, and per
item its id and `Outcome` (status, components, answer, flags, error). Formats whose trainers cannot drop one
sample answer an item the service could not judge with `unjudged_reward` (0, and a marker they log).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from rlvr.services.protocol import ScoreRequest, Status
from rlvr.services.runtime.errors import ApiError, jsonable_errors
from rlvr.services.runtime.scoring import ScoredBatch
from rlvr.services.verifiers.outcome import Outcome


@dataclass(frozen=True, slots=True)
class WireFormat:
    """A format's two halves and its name (the `via` of logs and metrics)."""

    name: str
    parse: Callable[[bytearray], ScoreRequest]
    render: Callable[[ScoreRequest, ScoredBatch], bytes]
    adapter: bool = True  # another trainer's protocol: items counted in rlvr_adapter_items_total
    query_token: bool = True  # trainers whose reward clients send no headers may pass `?token=`


def judged(outcome: Outcome) -> bool:
    return outcome.status == Status.SCORED


def unjudged_reward(outcome: Outcome, components: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The reward and components a trainer that cannot drop a sample gets: the verdict's, or zeros."""
    if judged(outcome):
        return sum(outcome.components.values()), dict(outcome.components)
    return 0.0, dict.fromkeys(components, 0.0)


def validate_body(model: type[BaseModel], body: bytes | bytearray) -> Any:
    """A format's own request model from the body; 422 naming the problem."""
    if not body:
        raise ApiError(422, "empty body: send a JSON object")
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise ApiError(422, "malformed request", detail=jsonable_errors(exc.errors())) from None


def label_text(value: Any) -> Any:
    """Labels are strings in every framework's datasets, but a number is what people send first."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value) if isinstance(value, float) else str(value)
    return value


def routed_label(label: str) -> tuple[str | None, str]:
    """A label that names its verifier, `{"verifier": "math", "reference": "0.5"}`, as (verifier, reference);
    any other label is (None, label): the route's verifier judges it (docs/protocol.md, mixed tasks).

    >>> routed_label('{"verifier": "math", "reference": "0.5"}'), routed_label("18")
    (('math', '0.5'), (None, '18'))
    """
    if not label.startswith("{") or '"verifier"' not in label:
        return None, label  # cheap: a code reference is a JSON object too, but names no verifier
    try:
        value = json.loads(label)
    except ValueError:
        return None, label
    if not (isinstance(value, dict) and set(value) == {"verifier", "reference"}):
        return None, label
    verifier, reference = value["verifier"], label_text(value["reference"])
    if not isinstance(verifier, str) or not isinstance(reference, str):
        raise ApiError(422, "a routed label needs a string 'verifier' and a string (or number) 'reference'")
    return verifier, reference
