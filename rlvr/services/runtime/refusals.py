"""Why the service refuses a request, in its own terms; the edge maps each to an HTTP status (errors.py)."""

from __future__ import annotations


class VerifierNotHosted(LookupError):
    """A request names a verifier this service does not host (or none, when it hosts several): 422."""


class Overloaded(Exception):
    """The service cannot take this request now; a later attempt may succeed: 429 with Retry-After."""

    def __init__(self, why: str, retry_after_s: int) -> None:
        super().__init__(why)
        self.retry_after_s = retry_after_s


# The status each refusal answers at the edge.
STATUS: dict[type[Exception], int] = {VerifierNotHosted: 422, Overloaded: 429}
