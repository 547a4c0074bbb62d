"""The in-process transport: verifiers loaded in this process, no server (`inprocess://gsm8k,math`).

What `rlvr eval`, `rlvr score` and the benchmarks use to score without a service: the same verdicts
(the verifier's `score`, checked and labelled as the service checks it), the same protocol-v1 bytes,
no deadlines or worker pool. Needs the verifiers' packages (`service` extra).
"""

from __future__ import annotations

import asyncio

from rlvr.client.endpoint import Endpoint
from rlvr.client.errors import RewardServiceError
from rlvr.services.protocol import ScoreRequest, ScoreResponse, VerifierDescription, VerifierInfo, VerifiersResponse


class InProcessTransport:
    """Scores protocol-v1 requests with verifiers loaded here, each named by its registered name or path."""

    max_body_bytes: int | None = None

    def __init__(self, endpoint: Endpoint) -> None:
        from rlvr.services.verifiers.registry import load_verifier

        self.where = endpoint.url
        specs = [s.strip() for s in endpoint.url.removeprefix("inprocess://").split(",") if s.strip()]
        if not specs:
            raise ValueError(f"endpoint {endpoint.name!r}: name the verifiers, e.g. inprocess://gsm8k")
        loaded = [load_verifier(spec) for spec in specs]
        self.hosted = {v.name: v for v in loaded}

    def attempt_deadline(self, remaining_s: float) -> float | None:
        return None

    async def score(self, body: bytes, remaining_s: float) -> bytes:
        from rlvr.services.verifiers.outcome import score_batch

        request = ScoreRequest.model_validate_json(body)
        name = request.verifier or (next(iter(self.hosted)) if len(self.hosted) == 1 else None)
        if name not in self.hosted:
            raise RewardServiceError(
                f"reward service {self.where} refused the batch: name a verifier; it hosts {sorted(self.hosted)}"
            )
        verifier = self.hosted[name]
        pairs = [(item.completion, item.reference) for item in request.items]
        outcomes = await asyncio.to_thread(score_batch, verifier, pairs)
        results = [
            o.to_result(item.id or str(i)) for i, (item, o) in enumerate(zip(request.items, outcomes, strict=True))
        ]
        response = ScoreResponse(
            request_id=request.request_id or "",
            verifier=VerifierInfo(name=name, version=verifier.version),
            results=results,
        )
        return response.model_dump_json().encode()

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
