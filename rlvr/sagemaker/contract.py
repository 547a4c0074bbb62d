"""The SageMaker training-container contract: the /opt/ml tree, string hyperparameters -> a recipe, the failure file.

SageMaker writes the request's HyperParameters (every value a string) to
`input/config/hyperparameters.json`. `config` names a recipe (`configs/cpu-demo.yaml` or
`cpu-demo`); every other key is a recipe field, parsed by the field's type and validated as the
YAML recipe is (same messages); `reward_url` sets the first endpoint's URL; `channel:<name>` in
`data` or `model` means `input/data/<name>/`. `output_dir` is the checkpoint directory.
"""

from __future__ import annotations

import json
import logging
import re
import types
import typing
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from rlvr.trainer.config import TrainConfig

log = logging.getLogger(__name__)

DEFAULT_ROOT = Path("/opt/ml")
FAILURE_MAX_CHARS = 1024  # DescribeTrainingJob's FailureReason: the failure file's first 1024 characters
CHANNEL = "channel:"
SHORTCUTS = {"config", "reward_url"}
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


@dataclass(frozen=True)
class OptML:
    """The paths SageMaker gives a training container, under `root` (/opt/ml; a temp dir in tests)."""

    root: Path = DEFAULT_ROOT

    @property
    def hyperparameters(self) -> Path:
        return self.root / "input" / "config" / "hyperparameters.json"

    @property
    def resource_config(self) -> Path:
        return self.root / "input" / "config" / "resourceconfig.json"

    def channel(self, name: str) -> Path:
        return self.root / "input" / "data" / name

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def output_data(self) -> Path:
        return self.root / "output" / "data"

    @property
    def failure(self) -> Path:
        return self.root / "output" / "failure"


def read_hyperparameters(opt: OptML) -> dict[str, str]:
    """hyperparameters.json (absent: none); every value must be a string, as SageMaker writes them."""
    if not opt.hyperparameters.exists():
        return {}
    values = json.loads(opt.hyperparameters.read_text())
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise ValueError(f"{opt.hyperparameters} must be a JSON object of strings, as SageMaker writes it")
    return values


def recipe_from_hyperparameters(
    hyperparameters: dict[str, str], opt: OptML, resolve_channels: bool = True
) -> TrainConfig:
    """The recipe named by `config` with every other hyperparameter applied; see the module docstring.

    `resolve_channels=False` leaves `channel:<name>` as it is (the launcher, before the channels exist).
    """
    hints = typing.get_type_hints(TrainConfig)
    known = {f.name for f in fields(TrainConfig)} - {"output_dir"}
    given = {k: v for k, v in hyperparameters.items() if not k.startswith("sagemaker_")}  # the SDK's own keys
    if "output_dir" in given:
        raise ValueError(f"hyperparameter output_dir: the checkpoints go to {opt.checkpoints} (SageMaker's contract)")
    unknown = sorted(set(given) - known - SHORTCUTS)
    if unknown:
        raise ValueError(f"unknown hyperparameters {unknown}; known: {sorted(known | SHORTCUTS)}")
    values: dict[str, Any] = {}
    if "config" in given:
        path = recipe_path(given["config"])
        values = yaml.safe_load(path.read_text()) or {}
        unknown_in_file = sorted(set(values) - {f.name for f in fields(TrainConfig)})
        if unknown_in_file:  # the message TrainConfig.from_yaml gives for the same file
            raise ValueError(f"unknown config keys {unknown_in_file}; known: {sorted(known | {'output_dir'})}")
    for name, raw in given.items():
        if name in known:
            values[name] = parse_value(name, raw, hints[name])
    if resolve_channels and "data" not in given and opt.channel("train").is_dir():
        values["data"] = CHANNEL + "train"
    for name in ("data", "model"):
        if resolve_channels and isinstance(values.get(name), str) and values[name].startswith(CHANNEL):
            values[name] = str(channel_source(opt, values[name].removeprefix(CHANNEL), files=name == "data"))
    values["output_dir"] = str(opt.checkpoints)
    cfg = TrainConfig(**values)
    if "reward_url" in given:
        cfg.rewards[0].url = given["reward_url"]
        cfg.rewards[0].__post_init__()
    return cfg


def recipe_path(value: str) -> Path:
    """`configs/cpu-demo.yaml` as given, or `cpu-demo` -> `configs/cpu-demo.yaml`."""
    for path in (Path(value), Path("configs") / f"{value}.yaml"):
        if path.is_file():
            return path
    raise ValueError(f"hyperparameter config={value!r}: no such recipe; name a file such as configs/cpu-demo.yaml")


def channel_source(opt: OptML, name: str, files: bool) -> Path:
    """A data channel's JSONL file (`train.jsonl`, else its only `.jsonl`), or a model channel's directory."""
    folder = opt.channel(name)
    if not folder.is_dir():
        raise ValueError(f"channel {name!r}: {folder} does not exist; add it to InputDataConfig")
    if not files:
        return folder
    found = sorted(folder.glob("*.jsonl"))
    if (folder / "train.jsonl").is_file():
        return folder / "train.jsonl"
    if len(found) != 1:
        raise ValueError(f"channel {name!r}: expected train.jsonl or one .jsonl file in {folder}, found {len(found)}")
    return found[0]


def parse_value(name: str, raw: str, hint: Any) -> Any:
    """A string hyperparameter as the recipe field's type: numbers, booleans, None, JSON lists and objects."""
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) and type(None) in args:
        if raw.strip().lower() in ("", "none", "null"):
            return None
        return parse_value(name, raw, next(a for a in args if a is not type(None)))
    try:
        if hint is bool:
            if raw.strip().lower() not in _TRUE | _FALSE:
                raise ValueError
            return raw.strip().lower() in _TRUE
        if hint in (int, float):
            return hint(raw)
    except ValueError:
        expected = {bool: "true or false", int: "an integer", float: "a number"}[hint]
        raise ValueError(f"hyperparameter {name}={raw!r}: expected {expected}") from None
    origin = typing.get_origin(hint)
    if origin is list and args == (str,) and not raw.lstrip().startswith("["):
        return [part.strip() for part in raw.split(",") if part.strip()]  # `tensorboard,wandb`
    if origin in (list, dict):
        try:
            value = yaml.safe_load(raw)  # JSON is YAML
        except yaml.YAMLError:
            value = None
        if not isinstance(value, origin):
            raise ValueError(f"hyperparameter {name}={raw!r}: expected a JSON {origin.__name__}")
        return value
    return raw


def failure_reason(exc: BaseException) -> str:
    """One line, at most 1024 characters: what DescribeTrainingJob shows as FailureReason."""
    text = re.sub(r"\s+", " ", f"{type(exc).__name__}: {exc}").strip()
    return text[:FAILURE_MAX_CHARS]


def write_failure(opt: OptML, reason: str) -> None:
    """The failure file, unless a process of the same job (another rank) wrote one first."""
    opt.failure.parent.mkdir(parents=True, exist_ok=True)
    if not opt.failure.exists():
        opt.failure.write_text(reason[:FAILURE_MAX_CHARS])
