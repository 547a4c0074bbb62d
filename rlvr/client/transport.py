"""What the client asks of a transport, and the transport for each URL scheme.

A transport makes one attempt: bytes of a protocol-v1 request in, the response's bytes out, or
`Retryable` (a later attempt may succeed) or `RewardServiceError` (none will). Retries, deadlines
and validation are the client's (`client.py`), the same for every transport.
"""

from __future__ import annotations

from typing import Protocol

from rlvr.client.endpoint import Endpoint


class Transport(Protocol):
    @property
    def where(self) -> str:
        """The URL, for messages."""
        ...

    @property
    def max_body_bytes(self) -> int | None:
        """A request body limit of the transport itself (None: only the service's own)."""
        ...

    def attempt_deadline(self, remaining_s: float) -> float | None:
        """The `deadline_s` to ask of the service in an attempt with `remaining_s` left (None: its default)."""
        ...

    async def score(self, body: bytes, remaining_s: float) -> bytes:
        """POST /score once; the response body of a 200."""
        ...

    def verifiers(self, remaining_s: float) -> bytes:
        """GET /verifiers once (synchronous: used once at start-up)."""
        ...

    async def aclose(self) -> None: ...


def open_transport(endpoint: Endpoint) -> Transport:
    """The transport for the endpoint's URL scheme; optional dependencies are imported only here."""
    if endpoint.scheme == "sagemaker":
        from rlvr.client.sagemaker import SageMakerTransport

        return SageMakerTransport(endpoint)
    if endpoint.scheme == "inprocess":
        from rlvr.client.inprocess import InProcessTransport

        return InProcessTransport(endpoint)
    from rlvr.client.http import HttpTransport

    return HttpTransport(endpoint)
