"""Runs the service under uvicorn with the settings from the environment plus CLI overrides.

    rlvr serve --port 8000 --verifiers gsm8k,math --workers 2

With several HTTP workers, uvicorn's own supervisor starts them; each gets these settings
(pickled with the app factory), never through the environment.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from rlvr.services.runtime.app import create_app
from rlvr.services.runtime.connections import MAX_HEAD_BYTES, connection_policy, http_protocol, open_file_limit
from rlvr.services.runtime.logs import configure_logging
from rlvr.services.runtime.settings import Settings

log = logging.getLogger("rlvr.service")


def run_server(
    host: str | None = None,
    port: int | None = None,
    verifiers: str | None = None,
    http_workers: int | None = None,
) -> None:
    """Serve until interrupted; overrides win over `RLVR_` variables."""
    overrides = {"host": host, "port": port, "verifiers": verifiers, "http_workers": http_workers}
    settings = Settings.model_validate({k: v for k, v in overrides.items() if v is not None})
    configure_logging(settings.log_level)
    config = uvicorn.Config(
        functools.partial(create_app, settings), factory=True, workers=settings.http_workers, **server_options(settings)
    )
    if settings.http_workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    uvicorn.Server(config).run()


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for these settings.

    On SIGTERM uvicorn stops accepting, tells every connection to shut down (ours begin the app's drain:
    scoring stops `shutdown_scoring_s` later), waits up to the grace for the answers, then the lifespan
    stops the worker pool. Connections: `connections.py`.
    """
    try:
        policy = connection_policy(settings)
    except ValueError as exc:  # an open-file limit too low to serve anything
        raise SystemExit(f"rlvr serve: {exc}") from None
    log.info(
        "connections: a request head within %gs, at most %d waiting for one (open-file limit %d)",
        policy.header_timeout_s,
        policy.idle_limit,
        open_file_limit(),
    )
    return {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": settings.shutdown_grace_s,
        "http": http_protocol(policy),
        "ws": "none",  # no WebSocket routes: an upgrade request is an ordinary request
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
        "backlog": settings.backlog,
    }
