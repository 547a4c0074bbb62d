"""`rlvr score`: a person's check of a verifier on a JSONL file, in-process and against a service."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rlvr.cli import app
from tests.conftest import TOKEN

ROWS = [
    {"completion": "#### 18", "reference": "18"},
    {"completion": "#### 18, 20", "reference": "18"},
    {"completion": "#### 1", "reference": "no number"},
]


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return path


def test_score_in_process_prints_summary_and_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    result = CliRunner().invoke(app, ["score", str(_write(tmp_path)), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "status scored" in result.output and "flag multiple_numbers" in result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["status"] for r in rows] == ["scored", "scored", "error"]
    assert [r["reward"] for r in rows] == [1.5, 0.0, None]


def test_score_against_service_matches_in_process(tmp_path: Path, service_url: str) -> None:
    local, remote = tmp_path / "local.jsonl", tmp_path / "remote.jsonl"
    path = _write(tmp_path)
    CliRunner().invoke(app, ["score", str(path), "--output", str(local)])
    result = CliRunner().invoke(
        app, ["score", str(path), "--url", service_url, "--token", TOKEN, "--output", str(remote)]
    )
    assert result.exit_code == 0, result.output
    assert local.read_text() == remote.read_text()


def test_score_rejects_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"completion": "x"}\n')
    result = CliRunner().invoke(app, ["score", str(path)])
    assert result.exit_code != 0
    assert "bad.jsonl:1" in result.output
