"""The service's error answers (4xx; 503 while it shuts down): one exception type, one JSON shape (`ErrorResponse`)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rlvr.services.protocol import ErrorResponse
from rlvr.services.runtime.refusals import STATUS, Overloaded

# The 4xx answers of every scoring route, for the OpenAPI document (one shape: ErrorResponse).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in {
        401: "Missing or wrong bearer token.",
        408: "The body did not arrive in time.",
        413: "Body or item count over the limit.",
        422: "Malformed request.",
        429: "Overloaded; see Retry-After.",
        503: "Shutting down before the body arrived; send it again (see Retry-After).",
    }.items()
}


class ApiError(Exception):
    """An error the client can act on: status code, message, optional detail and headers."""

    def __init__(self, status_code: int, error: str, detail: Any = None, headers: dict[str, str] | None = None):
        super().__init__(error)
        self.status_code = status_code
        self.error = error
        self.detail = detail
        self.headers = headers


async def refusal_handler(_: Request, exc: Exception) -> JSONResponse:
    """A refusal of the service (refusals.py) as its status and the one error shape."""
    status = STATUS[type(exc)]
    if isinstance(exc, Overloaded):
        headers = {"Retry-After": str(exc.retry_after_s)}
        return JSONResponse({"error": f"overloaded: {exc}; retry later", "detail": None}, status, headers=headers)
    return JSONResponse({"error": str(exc), "detail": None}, status)


async def api_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse({"error": exc.error, "detail": exc.detail}, exc.status_code, headers=exc.headers)


async def http_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse({"error": str(exc.detail), "detail": None}, exc.status_code, headers=exc.headers)


async def validation_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"error": "malformed request", "detail": jsonable_errors(exc.errors())}, 422)


def jsonable_errors(errors: Any) -> list[dict[str, Any]]:
    """Pydantic error list reduced to what a client needs: where, what, and why."""
    return [{"loc": [str(p) for p in e.get("loc", ())], "type": e.get("type"), "msg": e.get("msg")} for e in errors][
        :20
    ]
