"""Runs the service under uvicorn with the settings from the environment plus CLI overrides."""

from __future__ import annotations

import os

import uvicorn

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
    if settings.http_workers > 1:
        # Worker processes re-create the app from the environment; pass the overrides down that way.
        for key, value in overrides.items():
            if value is not None:
                os.environ[f"RLVR_{key.upper()}"] = str(value)
        get_settings.cache_clear()
        uvicorn.run(
            "rlvr.services.runtime.app:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.http_workers,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=settings.shutdown_grace_s,
        )
        return
    from rlvr.services.runtime.app import create_app

    # On SIGTERM uvicorn stops accepting, answers what is in flight (up to the grace period), then the
    # lifespan stops the worker pool.
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=settings.shutdown_grace_s,
    )
