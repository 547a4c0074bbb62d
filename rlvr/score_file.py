"""`rlvr score`: run a verifier over a JSONL file, in-process or against a service, and summarise.

Each line is `{"completion": ..., "reference": ..., "id"?: ...}`; the summary counts items by
status, averages each component and counts flags, so a person can check a verifier on their data.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from rlvr.client import Endpoint, RewardClient, RewardServiceError
from rlvr.services.protocol import ItemResult, ScoreItem

log = logging.getLogger(__name__)


def _read_items(path: Path) -> list[ScoreItem]:
    items = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = ScoreItem.model_validate_json(line)
        except ValidationError as exc:
            raise SystemExit(
                f"{path}:{number}: not a {{completion, reference}} object: {exc.errors()[0]['msg']}"
            ) from None
        items.append(item if item.id is not None else item.model_copy(update={"id": str(number - 1)}))
    return items


def _score(items: list[ScoreItem], url: str | None, verifier: str, token: str | None) -> list[ItemResult]:
    """Through the service at `url`, or in-process: the client layer either way (chunked, retried)."""
    endpoint = Endpoint(name="score", url=url or f"inprocess://{verifier}", verifier=verifier, token=token)
    client = RewardClient(endpoint)

    async def run() -> list[ItemResult]:
        try:
            return await client.score(items)
        finally:
            await client.aclose()

    try:
        return asyncio.run(run())
    except RewardServiceError as exc:
        raise SystemExit(str(exc)) from None


def summarise(results: list[ItemResult]) -> Table:
    """A table of counts by status, mean of each component over scored items, and flag counts."""
    table = Table(title=f"{len(results)} items")
    table.add_column("what")
    table.add_column("value", justify="right")
    for status, n in sorted(Counter(r.status.value for r in results).items()):
        table.add_row(f"status {status}", str(n))
    scored = [r for r in results if r.status == "scored"]
    names = sorted({name for r in scored for name in r.components})
    for name in names:
        mean = sum(r.components.get(name, 0.0) for r in scored) / max(len(scored), 1)
        table.add_row(f"mean {name}", f"{mean:.4f}")
    if scored:
        table.add_row("mean reward", f"{sum(r.reward or 0.0 for r in scored) / len(scored):.4f}")
    for flag, n in Counter(f for r in results for f in r.flags).most_common():
        table.add_row(f"flag {flag}", str(n))
    return table


def score_file(path: Path, url: str | None, verifier: str, token: str | None, output: Path | None) -> int:
    """Score the file and print the summary; returns the process exit code."""
    items = _read_items(path)
    if not items:
        raise SystemExit(f"{path}: no items")
    results = _score(items, url, verifier, token)
    if output is not None:
        output.write_text("".join(json.dumps(r.model_dump(mode="json")) + "\n" for r in results))
    Console().print(summarise(results))
    return 0
