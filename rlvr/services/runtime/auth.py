"""Bearer-token check for scoring routes, compared in constant time."""

from __future__ import annotations

import secrets

from fastapi import Request

from rlvr.services.runtime.errors import ApiError
from rlvr.services.runtime.settings import Settings


def require_token(request: Request, settings: Settings, allow_query: bool = False) -> None:
    """Raise 401 unless the request carries the configured token (no-op when none is set).

    `allow_query` also accepts `?token=…` in the URL: for trainers whose reward clients send no
    headers (OpenRLHF, slime, NeMo Gym). The token is never echoed in an error, a log or a metric.
    """
    if settings.api_token is None:
        return
    expected = settings.api_token.get_secret_value().encode()
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and secrets.compare_digest(token.strip().encode(), expected):
        return
    if allow_query:
        given = request.query_params.get("token")
        if given is not None and secrets.compare_digest(given.encode(), expected):
            return
        raise ApiError(
            401,
            "missing or wrong token: send `Authorization: Bearer …` or `?token=…`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    raise ApiError(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})
