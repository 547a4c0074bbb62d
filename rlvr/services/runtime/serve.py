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
from pydantic import ValidationError
from uvicorn.supervisors import Multiprocess

from rlvr.errors import ConfigError
from rlvr.services.runtime.app import create_app
from rlvr.services.runtime.connections import MAX_HEAD_BYTES, connection_policy, http_protocol, open_file_limit
from rlvr.services.runtime.logs import configure_logging
from rlvr.services.runtime.settings import Settings
from rlvr.services.verifiers.registry import verifier_class

log = logging.getLogger("rlvr.service")


def run_server(
    host: str | None = None,
    port: int | None = None,
    verifiers: str | None = None,
    http_workers: int | None = None,
) -> None:
    """Serve until interrupted; overrides win over `RLVR_` variables."""
    overrides = {"host": host, "port": port, "verifiers": verifiers, "http_workers": http_workers}
    try:
        settings = Settings.model_validate({k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError(settings_problem(exc)) from None
    check_hosting(settings)
    configure_logging(settings.log_level)
    config = uvicorn.Config(
        functools.partial(create_app, settings), factory=True, workers=settings.http_workers, **server_options(settings)
    )
    if settings.http_workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    uvicorn.Server(config).run()


def check_hosting(settings: Settings) -> None:
    """Before uvicorn starts (not in every worker after start-up): each verifier is registered or
    importable (`name=URL` is another service's, checked when it answers) and the default is hosted."""
    names = [spec.split("=", 1)[0].strip() if "=" in spec else verifier_class(spec).name for spec in settings.verifiers]
    if settings.default_verifier is not None and settings.default_verifier not in names:
        raise ConfigError(
            f"RLVR_DEFAULT_VERIFIER={settings.default_verifier} is not hosted; RLVR_VERIFIERS gives {names}"
        )


def settings_problem(exc: ValidationError) -> str:
    """The first problem of the settings, by the variable that sets it.

    >>> try:
    ...     Settings(port=0)
    ... except ValidationError as exc:
    ...     print(settings_problem(exc))
    RLVR_PORT=0: Input should be greater than or equal to 1
    """
    error = exc.errors()[0]
    names = [str(part) for part in error["loc"][:1]]
    where = f"RLVR_{names[0].upper()}={error.get('input')!s}" if names else "settings"
    return f"{where}: {error['msg'].removeprefix('Value error, ')}"


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for these settings.

    On SIGTERM uvicorn stops accepting, tells every connection to shut down (ours begin the app's drain:
    scoring stops `shutdown_scoring_s` later), waits up to the grace for the answers, then the lifespan
    stops the worker pool. Connections: `connections.py`.
    """
    try:
        policy = connection_policy(settings)
    except ValueError as exc:  # an open-file limit too low to serve anything
        raise ConfigError(str(exc)) from None
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
