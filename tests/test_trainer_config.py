"""Training configuration: defaults, YAML recipes, and errors that say how to fix them."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlvr.client import Endpoint
from rlvr.trainer.config import TrainConfig

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("recipe", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_every_recipe_loads(recipe: Path) -> None:
    cfg = TrainConfig.from_yaml(recipe)
    assert cfg.rewards and all(isinstance(e, Endpoint) for e in cfg.rewards)


def test_overrides_win_over_the_file() -> None:
    cfg = TrainConfig.from_yaml(ROOT / "configs" / "cpu-demo.yaml", max_steps=3, output_dir="x")
    assert (cfg.max_steps, cfg.output_dir) == (3, "x")


def test_unknown_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("learning_rat: 0.1\n")
    with pytest.raises(ValueError, match="learning_rat"):
        TrainConfig.from_yaml(path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_generations": 8, "per_device_train_batch_size": 12}, "multiple of num_generations"),
        ({"num_generations": 1, "per_device_train_batch_size": 2}, ">= 2"),
        ({"prompt_style": "fancy"}, "'chat' or 'plain'"),
        ({"extra_grpo_args": {"beta": 0.1}}, r"sets \['beta'\], which the recipe already sets"),
        ({"rewards": []}, "at least one endpoint"),
        ({"rewards": [{"name": "a"}, {"name": "a"}]}, "unique"),
        ({"rewards": [{"url": "127.0.0.1:8000"}]}, "http://"),
    ],
)
def test_bad_values_say_how_to_fix_them(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_an_empty_token_variable_means_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = Endpoint(token_env="RLVR_API_TOKEN")
    monkeypatch.setenv("RLVR_API_TOKEN", "")
    assert endpoint.bearer_token() is None  # compose passes `${RLVR_API_TOKEN:-}`: no header, as the service expects
    monkeypatch.setenv("RLVR_API_TOKEN", "s3cret")
    assert endpoint.bearer_token() == "s3cret"
