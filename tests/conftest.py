"""Shared fixtures: real uvicorn servers on 127.0.0.1, started in a thread and stopped after use."""

from __future__ import annotations

import atexit
import importlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rlvr.services.runtime import Settings, create_app
from rlvr.testing.servers import free_port, running_server

__all__ = ["GSM8K_DIR", "TOKEN", "free_port", "require_module", "require_shared_data", "running_server"]

TOKEN = "test-token"

# Code sandboxes of this test session run as uids of their own (and every server it starts inherits
# them): `sandbox_processes()` then sees this session's programs only, not another session's.
os.environ.setdefault("RLVR_CODE_UID_BASE", str(100_000 + (os.getpid() % 10_000) * 64))
os.environ.setdefault("RLVR_CODE_UID_SLOTS", "64")
os.environ.setdefault("RLVR_CODE_SLOT_DIR", f"/tmp/rlvr-code-slots-test-{os.getpid()}")
atexit.register(shutil.rmtree, os.environ["RLVR_CODE_SLOT_DIR"], ignore_errors=True)
GSM8K_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gsm8k"


def require_module(name: str) -> Any:
    """Import an optional dependency: skipped without it on a developer's machine, a failure in CI."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: CI installs every extra (make setup) and must run these tests")
        pytest.skip(f"{name} not installed", allow_module_level=True)


def require_shared_data(path: Path) -> None:
    """Skip a test whose data (../shared/data) is missing, on a developer's machine; in CI it fails."""
    if path.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{path} is missing: CI must run the tests that need ../shared/data")
    pytest.skip(f"{path} not present")


@pytest.fixture(scope="session")
def service_url() -> Iterator[str]:
    """A gsm8k service with a bearer token and small limits, shared by the API tests."""
    settings = Settings(api_token=TOKEN, max_items=64, max_body_bytes=256 * 1024, max_concurrent_requests=8)
    with running_server(create_app(settings)) as url:
        yield url


@pytest.fixture
def client(service_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as c:
        yield c


def _servers() -> Iterator[Callable[[Settings], str]]:
    stack: list = []

    def start(settings: Settings) -> str:
        cm = running_server(create_app(settings))
        stack.append(cm)
        return cm.__enter__()

    yield start
    for cm in reversed(stack):
        cm.__exit__(None, None, None)


@pytest.fixture
def serve() -> Iterator[Callable[[Settings], str]]:
    """Start extra servers with custom settings inside one test."""
    yield from _servers()


@pytest.fixture(scope="module")
def serve_module() -> Iterator[Callable[[Settings], str]]:
    """Start servers shared by the tests of one module."""
    yield from _servers()


@pytest.fixture(scope="module")
def code_verifier() -> Any:
    """The code verifier in this process, its sandbox probed and uid slot claimed (skips without one)."""
    from rlvr.services.verifiers.code.verifier import CodeVerifier
    from tests.code_cases import require_sandbox

    require_sandbox()
    verifier = CodeVerifier()
    verifier.warm_up()
    return verifier


@pytest.fixture(scope="session")
def embedded_model_dir() -> Path:
    """The embedded SmolLM2-135M-Instruct as a plain checkpoint (converted once into the user cache)."""
    from rlvr.trainer.models import resolve_model

    return Path(resolve_model("smollm2-135m-instruct"))


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, embedded_model_dir: Path) -> Path:
    """A tiny randomly initialised Llama with the embedded model's real tokenizer."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(embedded_model_dir)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
    )
    path = tmp_path_factory.mktemp("tiny-llama")
    LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
