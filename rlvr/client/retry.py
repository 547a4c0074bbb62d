"""The one retry policy of every transport: a total deadline, full-jitter backoff, Retry-After honoured.

    deadline = Deadline(120.0)
    while deadline.remaining() > 0: ... try an attempt ...; sleep(deadline.next_delay(error))

The async score loop and the synchronous `describe` loop in `client.py` are thin drivers of it.
"""

from __future__ import annotations

import random
import time

from rlvr.client.errors import ServiceUnavailable


class Deadline:
    """The attempts of one call: how long is left, how long to wait before the next, and the last error."""

    def __init__(self, total_s: float, backoff_base_s: float = 0.25, backoff_max_s: float = 8.0) -> None:
        self.total_s = total_s
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.started = time.monotonic()
        self.attempts = 0
        self.last_error = "no attempt made"

    def remaining(self) -> float:
        return self.total_s - (time.monotonic() - self.started)

    def next_delay(self, error: str, retry_after_s: float | None = None) -> float:
        """Record a failed attempt; the wait before the next, never past the deadline."""
        self.last_error = error
        delay = retry_after_s if retry_after_s is not None else self.backoff()
        return min(delay, max(self.remaining(), 0.0))

    def backoff(self) -> float:
        # Full jitter: spreads the retries of many trainer ranks over the whole window.
        return random.uniform(0, min(self.backoff_max_s, self.backoff_base_s * 2 ** max(self.attempts - 1, 0)))

    def exhausted(self, where: str) -> ServiceUnavailable:
        return ServiceUnavailable(
            f"reward service {where} gave no usable answer within {self.total_s:g}s "
            f"({self.attempts} attempts; last error: {self.last_error}): {START_IT}"
        )


# What a person does about a service that does not answer.
START_IT = "check that it runs at that URL (`rlvr serve`) and can take the load, or give it a longer deadline_s"


def retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (the delta form), or None.

    >>> retry_after("2"), retry_after("soon")
    (2.0, None)
    """
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None
