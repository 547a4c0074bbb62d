"""Model resolution, including the embedded default model's one-time GGUF conversion."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlvr.trainer.models import resolve_model


def test_hub_ids_and_directories_pass_through(tmp_path: Path) -> None:
    assert resolve_model("Qwen/Qwen2.5-0.5B") == "Qwen/Qwen2.5-0.5B"
    assert resolve_model(str(tmp_path)) == str(tmp_path)


@pytest.mark.slow
def test_embedded_model_converts_once_and_generates(embedded_model_dir: Path) -> None:
    """The session's conversion (an empty cache's is tested below, by two ranks at once) is reused."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = embedded_model_dir
    assert (path / "config.json").exists() and (path / "model.safetensors").exists()
    stamp = (path / "model.safetensors").stat().st_mtime_ns
    assert resolve_model("smollm2-135m-instruct") == str(path)
    assert (path / "model.safetensors").stat().st_mtime_ns == stamp  # not converted again

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    assert not getattr(model, "is_quantized", False)  # trainable, unlike the GGUF-loaded model
    messages = [{"role": "user", "content": "What is 2 + 3? End with '#### <number>'."}]
    enc = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        out = model.generate(**enc, max_new_tokens=12, do_sample=False)
    text = tokenizer.decode(out[0, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    assert text.strip()


@pytest.mark.slow
def test_ranks_converting_at_once_convert_once(tmp_path: Path) -> None:
    """Two processes (two ranks of a multi-GPU run) resolve the embedded model into one empty cache."""
    import subprocess
    import sys

    code = "import sys; from pathlib import Path; from rlvr.trainer.models import resolve_model; " \
           "print(resolve_model('smollm2-135m-instruct', cache_dir=Path(sys.argv[1])))"  # fmt: skip
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=600)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert outputs[0] == outputs[1] == str(tmp_path / "smollm2-135m-instruct")
    assert (tmp_path / "smollm2-135m-instruct" / "model.safetensors").exists()
    assert not (tmp_path / "smollm2-135m-instruct.tmp").exists()
