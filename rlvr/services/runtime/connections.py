"""The HTTP connections of `rlvr serve`: uvicorn's h11 protocol, telling the app when the server shuts down.

On SIGTERM uvicorn stops accepting and calls `shutdown()` on every connection, then waits up to its
grace for the requests in flight; the first call begins the app's `Drain` (its lifespan state), so that
those requests stop scoring in time to be answered within the grace (`drain.py`).
"""

from __future__ import annotations

from uvicorn.protocols.http.h11_impl import H11Protocol

from rlvr.services.runtime.drain import STATE_KEY


class DrainingH11Protocol(H11Protocol):
    """uvicorn's h11 protocol that begins the app's drain when the server shuts down."""

    def shutdown(self) -> None:
        drain = self.app_state.get(STATE_KEY)
        if drain is not None:
            drain.begin()
        super().shutdown()
