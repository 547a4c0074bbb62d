"""OpenAI's labelled GSM8K model solutions, scored through /score, agree with the labels."""

from __future__ import annotations

import json
import re

import httpx

from tests.conftest import GSM8K_DIR, require_shared_data

SOLVERS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")


def _labelled_items() -> list[tuple[dict, bool]]:
    path = GSM8K_DIR / "example_model_solutions.jsonl"
    require_shared_data(path)
    out = []
    for row in map(json.loads, path.read_text().splitlines()):
        for solver in SOLVERS:
            # Their final line is `A: N`; GSM8K's own final-answer form is `#### N`.
            completion = re.sub(r"\nA: ", "\n#### ", row[solver]["solution"])
            out.append(({"completion": completion, "reference": row["ground_truth"]}, row[solver]["is_correct"]))
    return out


def test_agreement_with_labels_is_at_least_999_per_mille(client: httpx.Client) -> None:
    labelled = _labelled_items()
    verdicts = []
    for start in range(0, len(labelled), 64):
        chunk = labelled[start : start + 64]
        reply = client.post("/score", json={"items": [item for item, _ in chunk]})
        assert reply.status_code == 200
        verdicts += [r["components"]["correctness"] == 1.0 for r in reply.json()["results"]]
    agree = sum(v == label for v, (_, label) in zip(verdicts, labelled, strict=True))
    assert len(labelled) == 4 * 1319
    assert agree / len(labelled) >= 0.999, f"{agree}/{len(labelled)}"
