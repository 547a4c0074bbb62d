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

from rlvr.client import Endpoint, RewardClient
from rlvr.errors import DataError
from rlvr.services.protocol import ItemResult, ScoreItem

log = logging.getLogger(__name__)


def _read_items(path: Path) -> list[ScoreItem]:
    """The file's items (an item without an id gets its line's index); a DataError names a bad line."""
    if not path.is_file():
        raise DataError(f"{path}: no such file; give a JSONL file of {{completion, reference[, id]}} objects")
    items = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = ScoreItem.model_validate_json(line)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(map(str, error["loc"])) or "the line"
            raise DataError(
                f"{path}:{number}: not a {{completion, reference[, id]}} object: {where}: {error['msg']}"
            ) from None
        items.append(item if item.id is not None else item.model_copy(update={"id": str(number - 1)}))
    if not items:
        raise DataError(f"{path}: no items; give one {{completion, reference[, id]}} object a line")
    return items


def _score(items: list[ScoreItem], endpoint: Endpoint) -> list[ItemResult]:
    """Through the service at the endpoint, or in-process: the client layer either way (chunked, retried)."""
    client = RewardClient(endpoint)

    async def run() -> list[ItemResult]:
        try:
            return await client.score(items)
        finally:
            await client.aclose()

    return asyncio.run(run())


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


def score_file(
    path: Path, url: str | None, verifier: str, token: str | None, output: Path | None, deadline_s: float = 120.0
) -> int:
    """Score the file and print the summary; returns the process exit code. Mistakes (a bad file, an
    unknown verifier, a service that does not answer) raise a `UserError` naming the fix."""
    endpoint = Endpoint(
        name="score", url=url or f"inprocess://{verifier}", verifier=verifier, token=token, deadline_s=deadline_s
    )
    items = _read_items(path)
    results = _score(items, endpoint)
    if output is not None:
        output.write_text("".join(json.dumps(r.model_dump(mode="json")) + "\n" for r in results))
    Console().print(summarise(results))
    return 0
