"""Servers for tests and the conformance kit: an app under uvicorn in a background thread on 127.0.0.1.

with running_server(create_app(Settings())) as url: ...
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from rlvr.testing.processes import free_port

__all__ = ["free_port", "running_server"]


@contextmanager
def running_server(app: FastAPI, start_timeout_s: float = 120.0, port: int | None = None) -> Iterator[str]:
    """Serve `app` on a loopback port (a free one unless given) until the block exits; yields its base URL."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start (see its log above)")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
