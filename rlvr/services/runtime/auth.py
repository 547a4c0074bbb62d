"""Bearer-token check for /score, compared in constant time."""

from __future__ import annotations

import secrets

from fastapi import Request

from rlvr.services.runtime.errors import ApiError
from rlvr.services.runtime.settings import Settings


def require_token(request: Request, settings: Settings) -> None:
    """Raise 401 unless the request carries the configured token (no-op when none is set)."""
    if settings.api_token is None:
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    expected = settings.api_token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip().encode(), expected):
        raise ApiError(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})
