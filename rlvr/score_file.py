"""`rlvr score`: run a verifier over a JSONL file, in-process or against a service, and summarise.

Each line is `{"completion": ..., "reference": ..., "id"?: ...}`; the summary counts items by
status, averages each component and counts flags, so a person can check a verifier on their data.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

import httpx
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from rlvr.services.protocol import ItemResult, ScoreItem, ScoreRequest, ScoreResponse

log = logging.getLogger(__name__)
CHUNK = 1024


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


def _score_in_process(items: list[ScoreItem], verifier_spec: str) -> list[ItemResult]:
    from rlvr.services.runtime.scoring import score_batch
    from rlvr.services.verifiers.registry import load_verifier

    verifier = load_verifier(verifier_spec)
    outcomes = score_batch(verifier, [(i.completion, i.reference) for i in items])
    return [o.to_result(item.id or "") for item, o in zip(items, outcomes, strict=True)]


def _score_remote(items: list[ScoreItem], url: str, verifier: str, token: str | None) -> list[ItemResult]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    results: list[ItemResult] = []
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        for start in range(0, len(items), CHUNK):
            body = ScoreRequest(verifier=verifier, items=items[start : start + CHUNK])
            reply = client.post("/score", content=body.model_dump_json(), headers={"Content-Type": "application/json"})
            if reply.status_code != 200:
                raise SystemExit(f"{url}/score answered {reply.status_code}: {reply.text[:500]}")
            results.extend(ScoreResponse.model_validate_json(reply.content).results)
    return results


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
    results = _score_remote(items, url, verifier, token) if url else _score_in_process(items, verifier)
    if output is not None:
        output.write_text("".join(json.dumps(r.model_dump(mode="json")) + "\n" for r in results))
    Console().print(summarise(results))
    return 0
