"""The published recipe as one command: Qwen2.5-0.5B on GSM8K, base and trained, greedy at k = 0/2/4/8.

    make reproduce MODEL=/models/Qwen2.5-0.5B      # = rlvr reproduce --model … (a GPU machine)

Starts the gsm8k verifier service, evaluates the base model on 100 GSM8K test problems with plain
8-shot-style prompts at each k, trains with `configs/qwen2.5-0.5b-gsm8k.yaml` against the service,
evaluates the trained model the same way, and writes the table and plot beside the published
figures (base 11% at k=8; trained 6 / 3 / 33 / 41% at k = 0 / 2 / 4 / 8). It refuses to start
without a CUDA GPU or without the model. Not run on the 2-core CPU machines this was built on.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rlvr.errors import UserError
from rlvr.trainer.config import TrainConfig
from rlvr.trainer.data import split_path
from rlvr.trainer.evaluate import EvalConfig, evaluate, write_report
from rlvr.trainer.plots import line_plot

log = logging.getLogger(__name__)

RECIPE = Path(__file__).resolve().parents[2] / "configs" / "qwen2.5-0.5b-gsm8k.yaml"
SHOTS = [0, 2, 4, 8]
# Greedy accuracy on 100 GSM8K test problems, as published (README: the published recipe).
PUBLISHED = {"base": {8: 0.11}, "trained": {0: 0.06, 2: 0.03, 4: 0.33, 8: 0.41}}


class CannotReproduce(UserError, RuntimeError):
    """This machine cannot run the recipe; the message says what is missing."""


def preflight(model: str) -> None:
    """Refuse, with a message saying what to do, when the model or a CUDA GPU is missing."""
    path = Path(model).expanduser()
    if path.exists():
        if not (path / "config.json").exists():
            raise CannotReproduce(
                f"{model} is not a model directory (no config.json): pass --model /path/to/Qwen2.5-0.5B"
            )
    else:
        try:
            from huggingface_hub import snapshot_download

            snapshot_download(model, local_files_only=True)
        except Exception:
            raise CannotReproduce(
                f"the model {model!r} is neither a local directory nor in the Hugging Face cache: download it "
                "(huggingface-cli download Qwen/Qwen2.5-0.5B) or pass --model /path/to/Qwen2.5-0.5B"
            ) from None
    import torch

    if not torch.cuda.is_available():
        raise CannotReproduce(
            "the published recipe needs a CUDA GPU (bf16, 2 epochs of GSM8K with 8 generations of 256 tokens); "
            "this machine has none. On a CPU, `make demo` runs the whole loop on the embedded model."
        )


def reproduce(model: str, data: str, n: int = 100, out_dir: str = "runs/reproduce", **overrides: Any) -> dict[str, Any]:
    """Base eval, GRPO training, trained eval; returns the combined report (table, plot paths)."""
    from rlvr.trainer.demo import managed_service
    from rlvr.trainer.train import train

    preflight(model)
    cfg = TrainConfig.from_yaml(RECIPE, model=model, data=data, output_dir=f"{out_dir}/train", **overrides)
    common: dict[str, Any] = {
        "data": split_path(data, "test"),
        "fewshot_data": split_path(data, "train"),
        "n": n,
        "shots": SHOTS,
        "prompt_style": "plain",
        "max_new_tokens": cfg.max_completion_length,
        "dtype": "bf16",
    }
    with managed_service() as url:
        for endpoint in cfg.rewards:
            endpoint.url = url
        base = evaluate(EvalConfig(models=[model], reward_url=url, out_dir=f"{out_dir}/base", **common))
        train(cfg)
        trained = evaluate(EvalConfig(models=[cfg.output_dir], reward_url=url, out_dir=f"{out_dir}/trained", **common))
    records = [{**r, "model": "Qwen2.5-0.5B (base)"} for r in base["records"]]
    records += [{**r, "model": "Qwen2.5-0.5B (GRPO, ours)"} for r in trained["records"]]
    report = write_report(records, {"train": cfg.to_dict(), "eval": common}, Path(out_dir))
    published = "\n".join(
        f"| published {name} | " + " | ".join(f"{by_k[k]:.0%}" if k in by_k else "-" for k in SHOTS) + " | - |"
        for name, by_k in PUBLISHED.items()
    )
    table = report["table"] + published + "\n"
    (Path(out_dir) / "results.md").write_text(table)
    plot_against_published(report["summary"], Path(out_dir) / "accuracy.png")
    return {**report, "table": table}


def plot_against_published(summary: list[dict[str, Any]], path: Path) -> None:
    """Our accuracy by k for each model, and the published points, in one PNG."""
    series = {
        model: sorted((s["shots"], 100 * s["accuracy"]) for s in summary if s["model"] == model)
        for model in dict.fromkeys(s["model"] for s in summary)
    }
    series |= {f"published {name}": sorted((k, 100 * v) for k, v in by_k.items()) for name, by_k in PUBLISHED.items()}
    line_plot(series, "few-shot examples (k)", "accuracy (%)", "GSM8K, 100 test problems, greedy", path,
               xticks=SHOTS, marker="o")  # fmt: skip
