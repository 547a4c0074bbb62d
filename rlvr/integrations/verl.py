"""A verl `custom_reward_function` backed by a reward service over HTTP.

    reward.custom_reward_function.path=$(python -c 'import rlvr.integrations.verl as m; print(m.__file__)')
    reward.custom_reward_function.name=compute_score
    +reward.custom_reward_function.reward_kwargs.url=http://verifier-gsm8k:8000

verl 0.9.1 calls `compute_score(data_source=, solution_str=, ground_truth=, extra_info=, **reward_kwargs)`
once per sample and awaits it when it is a coroutine function
(`verl/experimental/reward_loop/reward_manager/naive.py`); a dict answer must hold `"score"` and the
same keys for every sample (`reward_loop.py` reads the first sample's keys). verl has no way to
drop one sample: an item the service could not judge scores 0 with `"unscored": 1.0`, which verl
logs as a reward_extra_info column; alarm on its mean. `compute_score_batch` is the batched form
(`verl/workers/reward_manager/batch.py`: lists in, one dict per sample out), one `/score` request.

`url`, `verifier` and `token` come from `reward_kwargs`, else from RLVR_URL, RLVR_VERIFIER and
RLVR_API_TOKEN. Needs only pydantic and httpx (`pip install rlvr`).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from rlvr.client import Endpoint, RewardClient
from rlvr.client.environment import env_value
from rlvr.client.masking import zero_filled
from rlvr.services.protocol import ItemResult, ScoreItem

__all__ = ["compute_score", "compute_score_batch"]

# One client per service and per event loop (compute_score) or thread (compute_score_batch): an httpx
# pool belongs to one loop. Each remembers its verifier's components, so every dict has the same keys.
_clients: dict[tuple[str, str | None, str | None, int], tuple[RewardClient, list[str]]] = {}


def _settings(url: str | None, verifier: str | None, token: str | None) -> tuple[str, str | None, str | None]:
    url = url or env_value("RLVR_URL")
    if not url:
        raise ValueError("rlvr: set reward_kwargs.url (or RLVR_URL) to the reward service, e.g. http://127.0.0.1:8000")
    return url, verifier or env_value("RLVR_VERIFIER"), token or env_value("RLVR_API_TOKEN")


def _client(url: str, verifier: str | None, token: str | None, scope: int) -> tuple[RewardClient, list[str]]:
    key = (url, verifier, token, scope)
    if key not in _clients:
        client = RewardClient(Endpoint(name="verl", url=url, verifier=verifier, token=token, token_env=None))
        hosted = {v.name: v for v in client.describe().verifiers}
        info = hosted[verifier] if verifier else next(iter(hosted.values()))
        _clients[key] = (client, list(info.components))
    return _clients[key]


async def compute_score(
    data_source: str | None = None,
    solution_str: str = "",
    ground_truth: Any = None,
    extra_info: dict[str, Any] | None = None,
    *,
    url: str | None = None,
    verifier: str | None = None,
    token: str | None = None,
    **_: Any,
) -> dict[str, float]:
    """One sample's reward: `{"score": total, <component>: value, ..., "unscored": 0.0 | 1.0}`.

    >>> # compute_score("gsm8k", "... #### 18", "18", url="http://127.0.0.1:8000")
    >>> # {'score': 1.5, 'format': 0.5, 'correctness': 1.0, 'unscored': 0.0}
    """
    url, verifier, token = _settings(url, verifier, token)
    scope = id(asyncio.get_running_loop())
    cached = _clients.get((url, verifier, token, scope))
    if cached is None:  # the first call on this loop asks the service for its components (blocking: a thread)
        cached = await asyncio.to_thread(_client, url, verifier, token, scope)
    client, components = cached
    (result,) = await client.score([ScoreItem(id="0", completion=solution_str, reference=str(ground_truth))])
    return zero_filled(result, components)


def compute_score_batch(
    data_sources: list[str] | None = None,
    solution_strs: list[str] | None = None,
    ground_truths: list[Any] | None = None,
    extra_infos: list[dict[str, Any]] | None = None,
    *,
    url: str | None = None,
    verifier: str | None = None,
    token: str | None = None,
    **_: Any,
) -> list[dict[str, float]]:
    """The batched form (one `/score` request): one dict per sample, as `compute_score` gives."""
    url, verifier, token = _settings(url, verifier, token)
    client, components = _client(url, verifier, token, threading.get_ident())
    solutions, truths = list(solution_strs or []), list(ground_truths or [])
    if len(solutions) != len(truths):
        raise ValueError(f"{len(solutions)} solution_strs for {len(truths)} ground_truths")
    if not solutions:
        return []
    items = [
        ScoreItem(id=str(i), completion=s, reference=str(t))
        for i, (s, t) in enumerate(zip(solutions, truths, strict=True))
    ]

    async def run() -> list[ItemResult]:
        try:
            return await client.score(items)
        finally:
            await client.aclose()  # this loop ends here; the next call opens its own

    return [zero_filled(r, components) for r in asyncio.run(run())]
