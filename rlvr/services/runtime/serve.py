"""Runs the service under uvicorn with the settings from the environment plus CLI overrides."""

from __future__ import annotations

import os
from typing import Any

import uvicorn

from rlvr.services.runtime.connections import DrainingH11Protocol
from rlvr.services.runtime.logs import configure_logging
from rlvr.services.runtime.settings import Settings, get_settings


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
    stops the worker pool.
    """
    return {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": settings.shutdown_grace_s,
        "http": DrainingH11Protocol,
    }
