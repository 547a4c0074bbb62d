"""What a transport attempt can end in besides an answer: a retry, or a stop."""

from __future__ import annotations

from rlvr.errors import UserError


class RewardServiceError(RuntimeError):
    """The reward service cannot give trustworthy rewards; training must stop."""


class ServiceUnavailable(RewardServiceError, UserError):
    """No usable answer within the deadline: the service is down, at another URL, or overloaded."""


class RequestRefused(RewardServiceError, UserError):
    """The service refused the request as asked (4xx: a token, a verifier it does not host, a limit)."""


class Retryable(Exception):
    """An attempt failed in a way a later attempt can fix: a connection error, throttling, 429 or 5xx."""

    def __init__(self, message: str, retry_after_s: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.status = status  # the HTTP status that refused the attempt; None: it never got one
