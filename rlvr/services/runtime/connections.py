"""The HTTP connections of `rlvr serve`: uvicorn's h11 protocol plus the two bounds uvicorn lacks, and
the shutdown signal to the app. `serve.py` passes `http_protocol(connection_policy(settings))` to uvicorn.

What uvicorn (0.54) offers is used: h11 with `h11_max_incomplete_event_size` caps the request head a
connection can make us buffer (16 KiB; its httptools protocol has no cap: an endless header line is
buffered whole), `timeout_keep_alive` closes idle kept-alive connections, `backlog` bounds the
connections accepted at once. What it lacks: a connection that never completes its first request head
is kept forever, and nothing bounds how many are kept, so past the open-file limit accept() fails and
/healthz with it (`limit_concurrency` would answer 503 to /healthz as well). `GuardedH11Protocol` adds:

- a header timeout: a connection waiting for a request head (new, or kept alive after an answer) is
  closed `header_timeout_s` after it began waiting, however slowly its bytes trickle in;
- a bound: at most `idle_connection_limit()` connections of a server wait for a head at once; a new one
  past it closes the oldest. The bound leaves the server's other descriptors room below the open-file
  limit, so accept() never fails and /healthz keeps answering during a flood of header-less connections;
- on SIGTERM uvicorn calls `shutdown()` on every connection: the first call begins the app's `Drain`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import resource
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from rlvr.services.runtime.drain import STATE_KEY
from rlvr.services.runtime.settings import Settings

log = logging.getLogger("rlvr.service")

MAX_HEAD_BYTES = 16 * 1024  # h11's default, set explicitly: the most of an unfinished request head buffered
FD_BASE = 64  # the interpreter, logging, the listener, the event loop: 28 measured with the pool's 4 workers
FD_PER_WORKER = 4  # a worker's pipe and sentinel in the server (3 measured)
MIN_IDLE = 16


@dataclass(frozen=True)
class ConnectionPolicy:
    header_timeout_s: float
    idle_limit: int


def open_file_limit() -> int:
    """This process's soft limit on open files (children inherit it)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 1 << 30 if soft == resource.RLIM_INFINITY else soft


def idle_connection_limit(settings: Settings, open_files: int) -> int:
    """How many connections may wait for a request head: the setting, or fewer so that they, the backlog
    accepted at once, the pool's pipes and the requests being served all fit under `open_files`.

    >>> idle_connection_limit(Settings(), 1024)  # 1024 - backlog 128 - (64 + 4 x 4 workers + 64 requests)
    752
    """
    reserve = FD_BASE + FD_PER_WORKER * (settings.workers + settings.spares) + settings.max_concurrent_requests
    room = open_files - settings.backlog - reserve
    if room < MIN_IDLE:
        raise ValueError(
            f"the open-file limit of {open_files} leaves no room for connections: it needs at least "
            f"{settings.backlog + reserve + MIN_IDLE} (RLVR_BACKLOG {settings.backlog}, {reserve} for the pool "
            "and the requests in flight); raise it (`ulimit -n`) or lower RLVR_BACKLOG"
        )
    return min(settings.max_idle_connections, room)


def connection_policy(settings: Settings, open_files: int | None = None) -> ConnectionPolicy:
    """The bounds for these settings under this process's open-file limit (ValueError: no room)."""
    limit = idle_connection_limit(settings, open_file_limit() if open_files is None else open_files)
    return ConnectionPolicy(settings.header_timeout_s, limit)


def http_protocol(policy: ConnectionPolicy) -> Any:
    """uvicorn's `http` option (a picklable factory: `--workers` children get it too)."""
    return functools.partial(GuardedH11Protocol, policy=policy)


class _Waiting:
    """The connections of one server that wait for a request head, oldest first."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.connections: OrderedDict[GuardedH11Protocol, None] = OrderedDict()
        self.closed = 0

    def add(self, connection: GuardedH11Protocol) -> None:
        self.connections[connection] = None
        while len(self.connections) > self.limit:
            oldest, _ = self.connections.popitem(last=False)
            self.closed += 1
            if self.closed in (1, 10, 100) or self.closed % 1000 == 0:
                log.warning("%d connections waiting for a request head; closed the oldest (%d so far)",
                            self.limit, self.closed)  # fmt: skip
            oldest.close_waiting()


_WAITING: WeakKeyDictionary[ServerState, _Waiting] = WeakKeyDictionary()


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header timeout, a bound on waiting connections, and the drain signal."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        policy: ConnectionPolicy,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._policy = policy
        waiting = _WAITING.get(server_state)
        if waiting is None:  # the first connection of this server
            waiting = _WAITING[server_state] = _Waiting(policy.idle_limit)
        self._waiting = waiting
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._track()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._track()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._track()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def shutdown(self) -> None:
        drain = self.app_state.get(STATE_KEY)
        if drain is not None:
            drain.begin()
        super().shutdown()

    def _track(self) -> None:
        """Start the head clock when the connection begins waiting for a request head; stop it when one came."""
        waiting = self.cycle is None or self.cycle.response_complete
        if waiting and self._head_timer is None and not self.transport.is_closing():
            self._head_timer = self.loop.call_later(self._policy.header_timeout_s, self.close_waiting)
            self._waiting.add(self)
        elif not waiting and self._head_timer is not None:
            self._stop_waiting()

    def _stop_waiting(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self._waiting.connections.pop(self, None)

    def close_waiting(self) -> None:
        """Close a connection that did not send a request head in time, or the oldest past the bound."""
        self._stop_waiting()
        if not self.transport.is_closing():
            self.transport.close()
