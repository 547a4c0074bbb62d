"""Where the server-side time of one `/score` batch goes, phase by phase, in one process (no HTTP).

    .venv/bin/python benchmarks/service_breakdown.py [--batch 256] [--repeats 200]

Each phase is the runtime's own code on the same batch, timed alone (median of `repeats`, in µs per
batch); the scoring service's whole path (`ScoringService.results` plus encoding) is timed too, so the
sum of the phases can be read against it. What an HTTP request costs the server beyond that whole path
is uvicorn (h11), Starlette/FastAPI and the middleware: bench_service.py measures the server process's
CPU time per request and prints both.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table
from starlette.types import ASGIApp, Message

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rlvr.services.runtime.app import create_app  # noqa: E402
from rlvr.services.runtime.edge.v1 import parse_score_request, render_v1  # noqa: E402
from rlvr.services.runtime.limits import Admission  # noqa: E402
from rlvr.services.runtime.logs import JsonFormatter  # noqa: E402
from rlvr.services.runtime.routing import split  # noqa: E402
from rlvr.services.runtime.scoring import ScoredBatch  # noqa: E402
from rlvr.services.runtime.service import ScoringService  # noqa: E402
from rlvr.services.runtime.settings import Settings  # noqa: E402
from rlvr.services.verifiers.outcome import Outcome, score_batch  # noqa: E402


def timed(fn: Callable[[], object], repeats: int) -> float:
    """Median µs of `fn()` over `repeats` calls (after one warm-up call)."""
    fn()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e6


def phases(body: bytes, repeats: int) -> list[tuple[str, float]]:
    """(phase, µs per batch) for one protocol-v1 body, the service with its default settings."""
    settings = Settings(verifiers=["gsm8k"], log_level="info")
    app = create_app(settings)
    service: ScoringService = app.state.service
    logging.getLogger("rlvr.service").setLevel(logging.WARNING)  # its log line is timed on its own (below)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(service.start())
    try:
        rows = _measure(app.state.admission, service, loop, body, repeats)
        rows.append(
            ("the app over ASGI (handler, FastAPI, middleware; no socket)", timed(asgi_call(app, body, loop), repeats))
        )
        return rows
    finally:
        loop.run_until_complete(service.close())
        loop.close()


def asgi_call(app: ASGIApp, body: bytes, loop: asyncio.AbstractEventLoop) -> Callable[[], object]:
    """One POST /score of `body` straight into the ASGI app, as uvicorn would deliver it."""
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/score", "raw_path": b"/score", "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}  # fmt: skip

    async def call() -> None:
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        never = asyncio.Event()  # the client stays connected: the disconnect watch waits until cancelled
        statuses: list[int] = []

        async def receive() -> Message:
            if messages:
                return messages.pop()
            await never.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await app(dict(scope, state={}), receive, send)
        if statuses != [200]:
            raise RuntimeError(f"POST /score answered {statuses}")

    return lambda: loop.run_until_complete(call())


def _measure(
    admission: Admission, service: ScoringService, loop: asyncio.AbstractEventLoop, body: bytes, repeats: int
) -> list[tuple[str, float]]:
    settings = service.settings
    request = parse_score_request(body, settings)
    items = [(i.completion, i.reference) for i in request.items]
    verifier = service.verifiers["gsm8k"]
    outcomes = score_batch(verifier, items)
    batch = ScoredBatch("r", verifier, [str(n) for n in range(len(items))], outcomes)
    record = logging.LogRecord("rlvr.service", logging.INFO, "", 0, "scored", (), None)
    record.__dict__.update(request_id="r", verifier="gsm8k", via="score", items=len(items), ms=1.0)

    def run(coroutine: Callable[[], Awaitable[object]]) -> Callable[[], object]:
        return lambda: loop.run_until_complete(coroutine())

    def admit() -> None:
        with admission.admit() as budget:
            budget.take(len(body))

    def metrics() -> None:
        service.metrics.observe_outcomes("gsm8k", outcomes)
        service.metrics.ops.observe_lengths("gsm8k", (c for c, _ in items), outcomes)
        service.metrics.requests.labels("/score", "200").inc()  # the middleware's two
        service.metrics.latency.labels("/score").observe(0.01)

    async def cached() -> list[Outcome]:
        return await service.cache.outcomes(verifier, items, lambda _: asyncio.sleep(0, outcomes))

    async def whole() -> bytes:
        return render_v1(request, await service.results(parse_score_request(body, settings)))

    hand_off = timed(run(lambda: service._inline_outcomes(verifier, items, 30.0)), repeats)
    on_loop = timed(run(lambda: service._outcomes(verifier, items, 30.0)), repeats)
    verification = timed(lambda: score_batch(verifier, items), repeats)
    return [
        ("parse (JSON + protocol model)", timed(lambda: parse_score_request(body, settings), repeats)),
        ("admission and body budget", timed(admit, repeats)),
        ("routing (split by verifier)", timed(lambda: split([None] * len(items), "gsm8k", service.hosted, None),
                                              repeats)),
        ("verdict cache (off by default)", timed(run(cached), repeats)),
        ("verification (gsm8k, score_one per item)", verification),
        ("scoring on the event loop, beyond verification", max(on_loop - verification, 0.0)),
        ("(if handed to the inline thread, beyond verification)", max(hand_off - verification, 0.0)),
        ("metrics and telemetry (bulk histograms)", timed(metrics, repeats)),
        ("log line (JSON, level info)", timed(lambda: JsonFormatter().format(record), repeats)),
        ("encoding (results to JSON, orjson)", timed(lambda: render_v1(request, batch), repeats)),
        ("whole service path (parse to response bytes)", timed(run(whole), repeats)),
    ]  # fmt: skip


def main() -> None:
    from bench_service import load_items  # here: the benchmark imports this module

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    body = orjson.dumps({"items": load_items(args.batch)})
    Console().print(breakdown_table(phases(body, args.repeats), args.batch))


def breakdown_table(rows: list[tuple[str, float]], batch: int) -> Table:
    table = Table(title=f"server-side time of one batch of {batch} (µs, median; no HTTP)")
    table.add_column("phase")
    table.add_column("µs per batch", justify="right")
    table.add_column("µs per item", justify="right")
    for name, us in rows:
        table.add_row(name, f"{us:,.0f}", f"{us / batch:.2f}")
    return table


if __name__ == "__main__":
    main()
