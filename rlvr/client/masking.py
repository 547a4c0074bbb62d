"""The masking rules, in one place: what a caller does with an item the service could not judge.

- TRL: `None` for the item in *every* reward function when *any* endpoint could not score it (TRL
  leaves the row out: NaN-aware means, zero advantage), never the other endpoints' sum as if the
  failed one had given 0.
- Frameworks that cannot drop a sample (verl, OpenRLHF, slime, NeMo Gym): reward 0 with an
  `unscored` marker of 1 that they log (docs/protocol.md, "could not judge").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rlvr.services.protocol import ItemResult, Status


def completion_text(completion: Any) -> str:
    """TRL passes plain strings, or message lists for conversational prompts.

    >>> completion_text([{"role": "assistant", "content": "#### 18"}])
    '#### 18'
    """
    if isinstance(completion, str):
        return completion
    return "".join(str(message.get("content", "")) for message in completion)


def masked_rows(answers: Sequence[Sequence[ItemResult]]) -> list[bool]:
    """Per item, whether any endpoint's answer for it is not `scored` (TRL: None in every function)."""
    count = len(answers[0]) if answers else 0
    return [any(results[i].status != Status.SCORED for results in answers) for i in range(count)]


def zero_filled(result: ItemResult, components: Sequence[str]) -> dict[str, float]:
    """`{"score", <component>..., "unscored"}` for frameworks that cannot drop a sample.

    Every dict has the same keys (verl reads the first sample's), and a sample the service could not
    judge is 0 with `unscored` 1.0, which those frameworks log: alarm on its mean.
    """
    scored = result.status == Status.SCORED
    values = {name: (result.components.get(name, 0.0) if scored else 0.0) for name in components}
    return {
        "score": result.reward if scored and result.reward is not None else 0.0,
        **values,
        "unscored": 0.0 if scored else 1.0,
    }
