"""A person's mistakes on the command line: one line on stderr naming the fix, exit status 2, no
traceback (`rlvr --debug` shows it). Each case runs the real CLI; services are real (127.0.0.1)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlvr.cli import app
from rlvr.testing.processes import free_port
from tests.conftest import TOKEN

ONE_ITEM = '{"completion": "#### 1", "reference": "1"}\n'


@pytest.fixture
def files(tmp_path: Path, tiny_model_dir: Path, service_url: str) -> dict[str, str]:
    """What the cases name: good and bad files, a recipe against a closed port, one naming no verifier."""
    closed = f"http://127.0.0.1:{free_port()}"
    (tmp_path / "items.jsonl").write_text(ONE_ITEM)
    (tmp_path / "wrong-keys.jsonl").write_text('{"q": "How many?", "a": "#### 1"}\n')
    (tmp_path / "not-items.jsonl").write_text('{"text": "#### 1"}\n')
    recipe = {"model": str(tiny_model_dir), "output_dir": str(tmp_path / "run"), "report_to": []}
    for name, endpoint in {
        "down": {"name": "r", "url": closed, "deadline_s": 1},
        "nosuch-verifier": {"name": "r", "url": service_url, "verifier": "nosuch", "token": TOKEN},
    }.items():
        (tmp_path / f"{name}.yaml").write_text(json.dumps(recipe | {"rewards": [endpoint]}))  # JSON is YAML
    return {"dir": str(tmp_path), "closed": closed, "model": str(tiny_model_dir)}


# (command line, environment, what the one line must say); {dir}, {closed}, {model} from `files`.
CASES = [
    # unknown verifier: in-process, a service's settings, a recipe against a real service
    (["score", "--verifier", "nosuch", "{dir}/items.jsonl"], {}, "unknown verifier 'nosuch'; registered: code"),
    (["serve", "--port", "0"], {}, "RLVR_PORT=0"),
    (["serve"], {"RLVR_VERIFIERS": "gsm8k,nosuch"}, "unknown verifier 'nosuch'; registered: code"),
    (["serve", "--verifiers", "no_such_module:Verifier"], {}, "'no_such_module:Verifier' cannot be imported"),
    (["serve"], {"RLVR_DEFAULT_VERIFIER": "math"}, "RLVR_DEFAULT_VERIFIER=math is not hosted"),
    (["train", "--config", "{dir}/nosuch-verifier.yaml"], {}, "not 'nosuch': set its `verifier`"),
    (["eval", "--verifier", "nosuch", "--model", "{model}"], {}, "unknown verifier 'nosuch'"),
    # data specs and files of the wrong shape, files that are not there
    (["train", "--data", "humaneval+synthetic"], {}, "give each a weight: humaneval=1,synthetic=1"),
    (["train", "--data", "synthetic:3"], {}, "synthetic problems have 1 or 2 steps"),
    (["train", "--data", "{dir}/missing.jsonl"], {}, "no such file"),
    (["train", "--data", "{dir}/wrong-keys.jsonl", "--model", "{model}"], {}, "needs 'question' and 'answer'"),
    (["train", "--config", "{dir}/missing.yaml"], {}, "missing.yaml: no such file"),
    (["eval", "--data", "humaneval+synthetic"], {}, "names no data source"),
    (["score", "{dir}/missing.jsonl"], {}, "missing.jsonl: no such file"),
    (["score", "{dir}/not-items.jsonl"], {}, "not-items.jsonl:1: not a {{completion, reference[, id]}} object"),
    # a service that does not answer: the URL, and what to do
    (["score", "--url", "{closed}", "--deadline-s", "1", "{dir}/items.jsonl"], {}, "{closed} gave no usable answer"),
    (["train", "--config", "{dir}/down.yaml"], {}, "{closed} is not reachable"),
    (["eval", "--reward-url", "{closed}", "--deadline-s", "1", "--model", "{model}"], {}, "{closed} is not reachable"),
    # a model that is not there (no hub on a test machine: it must not wait for one)
    (["train", "--model", "{dir}/no-such-model"], {}, "no such file or directory"),
    (["train", "--model", "nosuch-org/nosuch-model", "--output-dir", "{dir}/r"], {}, "'nosuch-org/nosuch-model'"),
    (["eval", "--model", "{dir}/no-such-model.gguf"], {}, "no such file or directory"),
]


@pytest.mark.parametrize(("args", "env", "says"), CASES, ids=[" ".join(c[0][:3]) for c in CASES])
def test_a_mistake_is_one_line_and_exit_status_2(
    files: dict[str, str], args: list[str], env: dict[str, str], says: str
) -> None:
    result = CliRunner().invoke(app, [a.format(**files) for a in args], env=env)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("rlvr: error: ")
    assert says.format(**files) in line
    if "{closed}" in " ".join(args):  # the fix is named, too
        assert "rlvr serve" in line and "deadline_s" in line


def _rlvr(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rlvr.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


@pytest.mark.parametrize(("debug", "traceback"), [([], False), (["--debug"], True)])
def test_debug_shows_the_traceback_as_a_user_runs_it(tmp_path: Path, debug: list[str], traceback: bool) -> None:
    (tmp_path / "items.jsonl").write_text(ONE_ITEM)
    done = _rlvr(*debug, "score", "--verifier", "nosuch", "items.jsonl", cwd=tmp_path)
    assert done.returncode == 2
    assert ("Traceback (most recent call last)" in done.stderr) is traceback
    assert ("UnknownVerifierError" in done.stderr) is traceback
    assert done.stderr.strip().splitlines()[-1].startswith("rlvr: error: unknown verifier 'nosuch'")
    if not traceback:
        assert len(done.stderr.strip().splitlines()) == 1
