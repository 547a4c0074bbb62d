"""Runs the service under uvicorn with the settings from the environment plus CLI overrides."""

from __future__ import annotations

import logging
import os
from typing import Any

import uvicorn

from rlvr.services.runtime.connections import MAX_HEAD_BYTES, connection_policy, http_protocol, open_file_limit
from rlvr.services.runtime.logs import configure_logging
from rlvr.services.runtime.settings import Settings, get_settings

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
    options = server_options(settings)
    if settings.http_workers > 1:
        # Worker processes re-create the app from the environment; pass the overrides down that way.
        for key, value in overrides.items():
            if value is not None:
                os.environ[f"RLVR_{key.upper()}"] = str(value)
        get_settings.cache_clear()
        uvicorn.run("rlvr.services.runtime.app:create_app", factory=True, workers=settings.http_workers, **options)
        return
    from rlvr.services.runtime.app import create_app

    uvicorn.run(create_app(settings), **options)


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
