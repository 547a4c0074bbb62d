"""The in-process transport: verifiers loaded in this process, no server (`inprocess://gsm8k,math`).

What `rlvr eval`, `rlvr score` and the benchmarks use to score without a service: the same verdicts
(the verifier's `score`, checked and labelled as the service checks it), the same protocol-v1 bytes,
no deadlines or worker pool. Needs the verifiers' packages (`service` extra).
"""

from __future__ import annotations

import asyncio

from rlvr.client.endpoint import Endpoint
from rlvr.client.errors import RequestRefused
from rlvr.errors import ConfigError
from rlvr.services.protocol import (
    ItemResult,
    ScoreRequest,
    ScoreResponse,
    VerifierDescription,
    VerifierInfo,
    VerifiersResponse,
)


class InProcessTransport:
    """Scores protocol-v1 requests with verifiers loaded here, each named by its registered name or path."""

    max_body_bytes: int | None = None

    def __init__(self, endpoint: Endpoint) -> None:
        from rlvr.services.verifiers.registry import load_verifier

        self.where = endpoint.url
        specs = [s.strip() for s in endpoint.url.removeprefix("inprocess://").split(",") if s.strip()]
        if not specs:
            raise ConfigError(f"endpoint {endpoint.name!r}: name the verifiers, e.g. inprocess://gsm8k")
        loaded = [load_verifier(spec) for spec in specs]
        self.hosted = {v.name: v for v in loaded}

    def attempt_deadline(self, remaining_s: float) -> float | None:
        return None

    async def score(self, body: bytes, remaining_s: float) -> bytes:
        request = ScoreRequest.model_validate_json(body)
        names = [self._judge(item.verifier or request.verifier, index) for index, item in enumerate(request.items)]
        results = await asyncio.to_thread(self._score, request, names)
        judges = list(dict.fromkeys(names))
        if len(judges) == 1:
            info = self._info(judges[0])
        else:  # a mixed request: each result names its verifier (docs/protocol.md)
            for result, name in zip(results, names, strict=True):
                result.verifier = self._info(name)
            info = VerifierInfo(name="+".join(judges), version="+".join(self.hosted[n].version for n in judges))
        return (
            ScoreResponse(request_id=request.request_id or "", verifier=info, results=results)
            .model_dump_json()
            .encode()
        )

    def _judge(self, name: str | None, index: int) -> str:
        name = name or (next(iter(self.hosted)) if len(self.hosted) == 1 else None)
        if name not in self.hosted:
            raise RequestRefused(
                f"reward service {self.where} refused the batch: item {index} names verifier {name!r}; "
                f"it hosts {sorted(self.hosted)}"
            )
        return name

    def _info(self, name: str) -> VerifierInfo:
        return VerifierInfo(name=name, version=self.hosted[name].version)

    def _score(self, request: ScoreRequest, names: list[str]) -> list[ItemResult]:
        from rlvr.services.verifiers.outcome import score_one

        return [
            score_one(self.hosted[name], item.completion, item.reference).to_result(item.id or str(index))
            for index, (item, name) in enumerate(zip(request.items, names, strict=True))
        ]

    def verifiers(self, remaining_s: float) -> bytes:
        described = [
            VerifierDescription(
                name=v.name,
                version=v.version,
                components=dict(v.components),
                description=v.description,
                isolation="inline",
            )
            for v in self.hosted.values()
        ]
        return VerifiersResponse(verifiers=described).model_dump_json().encode()

    async def aclose(self) -> None:
        return None
