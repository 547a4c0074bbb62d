"""`rlvr reproduce` (the published recipe on a GPU) refuses clearly where it cannot run, as here."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from rlvr.cli import app


def _refusal(*args: str) -> str:
    result = CliRunner().invoke(app, ["reproduce", *args])
    assert result.exit_code == 2, result.output
    return " ".join(result.output.split())  # the console wraps lines


def test_refuses_without_the_model(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["reproduce", "--model", str(tmp_path / "no-such-model"), "--out-dir", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "neither a local directory nor in the Hugging Face cache" in result.output


def test_refuses_a_directory_that_is_not_a_model(tmp_path: Path) -> None:
    assert "no config.json" in _refusal("--model", str(tmp_path), "--out-dir", str(tmp_path))


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU: reproduce would run")
def test_refuses_without_a_gpu(tmp_path: Path, tiny_model_dir: Path) -> None:
    """On a machine without a GPU the model is found, and the refusal names what is missing."""
    output = _refusal("--model", str(tiny_model_dir), "--out-dir", str(tmp_path / "r"))
    assert "needs a CUDA GPU" in output and "make demo" in output
    assert not (tmp_path / "r").exists()  # nothing started
