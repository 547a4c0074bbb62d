"""Runs the service under uvicorn with the settings from the environment plus CLI overrides.

    rlvr serve --port 8000 --verifiers gsm8k,math --workers 2

With several HTTP workers, uvicorn's own supervisor starts them; each gets these settings
(pickled with the app factory), never through the environment.
"""

from __future__ import annotations

import functools

import uvicorn
from uvicorn.supervisors import Multiprocess

from rlvr.services.runtime.app import create_app
from rlvr.services.runtime.logs import configure_logging
from rlvr.services.runtime.settings import Settings


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
    # On SIGTERM uvicorn stops accepting, answers what is in flight (up to the grace period), then the
    # lifespan stops the worker pool.
    config = uvicorn.Config(
        functools.partial(create_app, settings),
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.http_workers,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=settings.shutdown_grace_s,
    )
    if settings.http_workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    uvicorn.Server(config).run()
