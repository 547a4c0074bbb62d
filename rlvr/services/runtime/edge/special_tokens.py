"""Special tokens in decoded text: what OpenRLHF's `query` (prompt + response, decoded) carries around
the response, and how the response is cut out of it in linear time."""

from __future__ import annotations

# Special tokens around a decoded `query` (`<|im_end|>`, `<|endoftext|>`, `</s>`): not the answer.
_SPECIAL_WORDS = ("</s>", "<s>", "<eos>", "<pad>", "<bos>")
_MAX_SPECIAL_CHARS = 44  # `<|` + 40 + `|>`
_MAX_PREFIX_CHARS = 64  # what decoding may put before the prompt (a BOS token), at most


def _special_before(text: str, end: int) -> int:
    """Start of a special token ending at `end`, or -1."""
    if text.endswith("|>", 0, end):
        start = text.rfind("<|", max(0, end - _MAX_SPECIAL_CHARS), end - 2)
        inner = text[start + 2 : end - 2] if start >= 0 else ""
        if start >= 0 and len(inner) > 0 and not any(c.isspace() or c in "<>|" for c in inner):
            return start
    return next((end - len(w) for w in _SPECIAL_WORDS if text.endswith(w, 0, end)), -1)


def strip_trailing_special(text: str) -> str:
    """`text` without the special tokens and whitespace it ends with, in linear time.

    >>> strip_trailing_special("#### 4 <|im_end|>\\n<|endoftext|>")
    '#### 4'
    """
    end = len(text)
    while True:
        while end and text[end - 1].isspace():
            end -= 1
        start = _special_before(text, end)
        if start < 0:
            return text[:end]
        end = start


def _only_special(text: str) -> bool:
    """Whether `text` is nothing but special tokens and whitespace (what a BOS prefix looks like)."""
    return not strip_trailing_special(text)


def completion_from_query(query: str, prompt: str) -> str | None:
    """The response part of an OpenRLHF `query` (prompt + response), trailing special tokens removed.

    The prompt must open the query, after at most a short run of special tokens (a BOS token the
    decoder adds); anything else is None (not scored): reading from a *later* copy of the prompt
    would let a response that repeats the question hide the answers it gave before it.

    >>> completion_from_query("<s>Q: 2+2?\\nA: #### 4<|im_end|>", "Q: 2+2?\\nA:")
    ' #### 4'
    """
    found = query.find(prompt, 0, len(prompt) + _MAX_PREFIX_CHARS) if prompt else 0
    if found < 0 or not _only_special(query[:found]):
        return None
    return strip_trailing_special(query[found + len(prompt) :])
