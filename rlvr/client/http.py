"""The HTTP transport (httpx): `POST /score` and `GET /verifiers` on a kept-alive connection pool."""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from rlvr.client.endpoint import Endpoint
from rlvr.client.errors import RequestRefused, Retryable
from rlvr.client.retry import retry_after


class HttpTransport:
    """One endpoint over HTTP; 429, 5xx and connection errors are `Retryable`, other 4xx are final."""

    max_body_bytes: int | None = None

    def __init__(self, endpoint: Endpoint) -> None:
        self.where = endpoint.url.rstrip("/")
        self.request_timeout_s = endpoint.request_timeout_s
        token = endpoint.bearer_token()
        self._headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def attempt_deadline(self, remaining_s: float) -> float | None:
        return None  # the service's own default deadline applies, as it always has

    async def _http(self) -> httpx.AsyncClient:
        # Created inside the event loop that uses it (TRL runs one on a daemon thread); a new loop gets a
        # new pool, and the old one is closed rather than left holding its sockets.
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            await self.aclose()
            limits = httpx.Limits(max_keepalive_connections=8, keepalive_expiry=60)
            self._client = httpx.AsyncClient(base_url=self.where, headers=self._headers, limits=limits)
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            with contextlib.suppress(Exception):  # its loop may be gone; it is marked closed either way
                await client.aclose()

    async def score(self, body: bytes, remaining_s: float) -> bytes:
        try:
            client = await self._http()
            reply = await client.post(
                "/score", content=body, timeout=min(self.request_timeout_s, max(remaining_s, 0.1))
            )
        except httpx.TransportError as exc:
            raise Retryable(f"{type(exc).__name__}: {exc}") from None
        return self._content(reply, "the batch")

    def verifiers(self, remaining_s: float) -> bytes:
        try:
            timeout = min(self.request_timeout_s, max(remaining_s, 0.1))
            reply = httpx.get(f"{self.where}/verifiers", headers=self._headers, timeout=timeout)
        except httpx.HTTPError as exc:
            raise Retryable(f"{type(exc).__name__}: {exc}") from None
        return self._content(reply, "GET /verifiers")

    def _content(self, reply: httpx.Response, what: str) -> bytes:
        if reply.status_code == 200:
            return reply.content
        error = f"HTTP {reply.status_code}: {reply.text[:300]}"
        if reply.status_code == 429 or reply.status_code >= 500:
            raise Retryable(error, retry_after(reply.headers.get("retry-after")), reply.status_code)
        raise RequestRefused(f"reward service {self.where} refused {what}: {error}")
