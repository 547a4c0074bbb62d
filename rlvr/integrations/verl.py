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

Each sample's `data_source` chooses its verifier (`DATA_SOURCES`, overridden by `verifiers=` in
`reward_kwargs`); a source the map does not know goes to the configured verifier, else the one the
service hosts. `url`, `verifier` and `token` come from `reward_kwargs`, else from RLVR_URL,
RLVR_VERIFIER and RLVR_API_TOKEN; `deadline_s` (total, retries included; default 120) and
`request_timeout_s` (one attempt; default 60) from `reward_kwargs`, else the `Endpoint` defaults.
Needs only pydantic and httpx (`pip install rlvr`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from rlvr.client import Endpoint, RewardClient
from rlvr.client.environment import env_value
from rlvr.client.masking import zero_filled
from rlvr.services.protocol import ItemResult, ScoreItem

__all__ = ["DATA_SOURCES", "compute_score", "compute_score_batch", "verifier_for"]

log = logging.getLogger(__name__)

# verl's data_source names (its examples/data_preprocess and reward_score/__init__.py) -> rlvr verifier.
_GSM8K = ["openai/gsm8k", "gsm8k"]
_MATH = ["lighteval/MATH", "DigitalLearningGmbH/MATH-lighteval", "HuggingFaceH4/MATH-500", "math_dapo", "math"]
_CODE = ["humaneval", "openai/openai_humaneval", "codecontests", "apps", "codeforces", "taco", "livecodebench"]
_CODE += ["primeintellect", "code"]
_IFEVAL = ["google/IFEval", "ifeval"]
DATA_SOURCES: dict[str, str] = {
    **dict.fromkeys(_GSM8K, "gsm8k"),
    **dict.fromkeys(_MATH, "math"),
    **dict.fromkeys(_CODE, "code"),
    **dict.fromkeys(_IFEVAL, "ifeval"),
}
PREFIXES = {"aime": "math", "numina_": "math"}  # aime24, aime2025, numina_olympiads, ...
_LOWER = {k.lower(): v for k, v in DATA_SOURCES.items()}

# One client per service and per event loop (compute_score) or thread (compute_score_batch): an httpx
# pool belongs to one loop. Each remembers what the service hosts and the components of every dict.
_Cached = tuple[RewardClient, list[str], list[str]]  # client, hosted verifiers, components
_Key = tuple[str, str | None, str | None, int, tuple[float | None, float | None]]
_clients: dict[_Key, _Cached] = {}
_warned: set[tuple[str, str]] = set()


def verifier_for(data_source: str | None, hosted: list[str], verifier: str | None = None, verifiers: Any = None) -> str:
    """The verifier of one sample: `verifiers` (reward_kwargs), else the default map where the
    service hosts that verifier, else `verifier`, else the one the service hosts.

    >>> verifier_for("lighteval/MATH", ["gsm8k", "math"]), verifier_for("mine", ["gsm8k"])
    ('math', 'gsm8k')
    """
    source = str(data_source or "")
    overrides = _overrides(verifiers)
    if source in overrides:
        if overrides[source] not in hosted:
            raise ValueError(f"rlvr: verifiers maps {source!r} to {overrides[source]!r}; the service hosts {hosted}")
        return overrides[source]
    default = _default(source)
    if default in hosted:
        return default
    if default is not None and (source, default) not in _warned:
        _warned.add((source, default))
        log.warning("rlvr: data_source %r is %r's by default, which the service does not host", source, default)
    if verifier is not None:
        return verifier
    if len(hosted) == 1:
        return hosted[0]
    raise ValueError(
        f"rlvr: data_source {source!r} names no verifier the service hosts ({hosted}): map it in reward_kwargs, "
        "e.g. verifiers={'" + source + "': 'math'}, or set reward_kwargs.verifier"
    )


def _default(source: str) -> str | None:
    found = DATA_SOURCES.get(source) or _LOWER.get(source.lower())
    return found or next((v for prefix, v in PREFIXES.items() if source.lower().startswith(prefix)), None)


def _overrides(verifiers: Any) -> dict[str, str]:
    if verifiers is None:
        return {}
    if not isinstance(verifiers, Mapping):
        raise ValueError(
            f"rlvr: verifiers must map data_source -> verifier, e.g. {{'my_source': 'math'}}; got {verifiers!r}"
        )
    return {str(k): str(v) for k, v in verifiers.items()}


def _settings(url: str | None, verifier: str | None, token: str | None) -> tuple[str, str | None, str | None]:
    url = url or env_value("RLVR_URL")
    if not url:
        raise ValueError("rlvr: set reward_kwargs.url (or RLVR_URL) to the reward service, e.g. http://127.0.0.1:8000")
    return url, verifier or env_value("RLVR_VERIFIER"), token or env_value("RLVR_API_TOKEN")


def _timing(deadline_s: Any, request_timeout_s: Any) -> tuple[float | None, float | None]:
    """`reward_kwargs.deadline_s` / `request_timeout_s` as numbers (Hydra may hand over strings), else None."""
    return (None if deadline_s is None else float(deadline_s)), (
        None if request_timeout_s is None else float(request_timeout_s)
    )


def _client(
    url: str, verifier: str | None, token: str | None, scope: int, timing: tuple[float | None, float | None]
) -> _Cached:
    key = (url, verifier, token, scope, timing)
    if key not in _clients:
        endpoint = Endpoint(name="verl", url=url, verifier=verifier, token=token, token_env=None)
        deadline_s, request_timeout_s = timing
        endpoint = replace(
            endpoint,
            deadline_s=endpoint.deadline_s if deadline_s is None else deadline_s,
            request_timeout_s=endpoint.request_timeout_s if request_timeout_s is None else request_timeout_s,
        )
        client = RewardClient(endpoint)
        described = client.describe().verifiers
        hosted = [v.name for v in described]
        if verifier is not None and verifier not in hosted:
            raise ValueError(f"rlvr: reward_kwargs.verifier {verifier!r} is not hosted by {url} ({hosted})")
        components = list(dict.fromkeys(c for v in described for c in v.components))
        _clients[key] = (client, hosted, components)
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
    verifiers: Any = None,
    deadline_s: Any = None,
    request_timeout_s: Any = None,
    **_: Any,
) -> dict[str, float]:
    """One sample's reward: `{"score": total, <component>: value, ..., "unscored": 0.0 | 1.0}`.

    >>> # compute_score("gsm8k", "... #### 18", "18", url="http://127.0.0.1:8000")
    >>> # {'score': 1.5, 'format': 0.5, 'correctness': 1.0, 'unscored': 0.0}
    """
    url, verifier, token = _settings(url, verifier, token)
    scope, timing = id(asyncio.get_running_loop()), _timing(deadline_s, request_timeout_s)
    cached = _clients.get((url, verifier, token, scope, timing))
    if cached is None:  # the first call on this loop asks the service what it hosts (blocking: a thread)
        cached = await asyncio.to_thread(_client, url, verifier, token, scope, timing)
    client, hosted, components = cached
    judge = verifier_for(data_source, hosted, verifier, verifiers)
    item = ScoreItem(id="0", completion=solution_str, reference=str(ground_truth), verifier=judge)
    (result,) = await client.score([item])
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
    verifiers: Any = None,
    deadline_s: Any = None,
    request_timeout_s: Any = None,
    **_: Any,
) -> list[dict[str, float]]:
    """The batched form: one `/score` request, each item naming its own verifier; one dict per sample."""
    url, verifier, token = _settings(url, verifier, token)
    timing = _timing(deadline_s, request_timeout_s)
    client, hosted, components = _client(url, verifier, token, threading.get_ident(), timing)
    solutions, truths = list(solution_strs or []), list(ground_truths or [])
    if len(solutions) != len(truths):
        raise ValueError(f"{len(solutions)} solution_strs for {len(truths)} ground_truths")
    if not solutions:
        return []
    sources = list(data_sources) if data_sources is not None else [None] * len(solutions)
    if len(sources) != len(solutions):
        raise ValueError(f"{len(sources)} data_sources for {len(solutions)} solution_strs")
    items = [
        ScoreItem(id=str(i), completion=s, reference=str(t), verifier=verifier_for(d, hosted, verifier, verifiers))
        for i, (s, t, d) in enumerate(zip(solutions, truths, sources, strict=True))
    ]

    async def run() -> list[ItemResult]:
        try:
            return await client.score(items)
        finally:
            await client.aclose()  # this loop ends here; the next call opens its own

    return [zero_filled(r, components) for r in asyncio.run(run())]
