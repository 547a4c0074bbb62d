"""The program in a completion: the last fenced code block (```python, ```py or a bare fence);
with no fence, the completion itself; a blank one is no program (None).

Fences follow CommonMark where models rely on it: a fence may be indented (a list item; its lines
lose that indent), closes with at least as many backticks, and its tag's first word is the language
(```python title="x"). Windows line endings are read as Unix ones.

>>> extract_program("text\\n```python\\nprint(1)\\n```\\nmore")
'print(1)\\n'
>>> extract_program("   ") is None
True
"""

from __future__ import annotations

import re

# An opening fence: indent, ``` or longer, an optional info string (language first).
_OPEN = re.compile(r"^([ \t]*)(`{3,})[ \t]*([^\n`]*)$", re.MULTILINE)
_LANGUAGE = re.compile(r"[A-Za-z0-9_+.-]*")
PYTHON_TAGS = ("", "python", "py", "python3")


def _blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of each fenced block, in order; an unclosed last block runs to the end."""
    blocks: list[tuple[str, str]] = []
    pos = 0
    while True:
        opening = _OPEN.search(text, pos)
        if opening is None:
            return blocks
        indent, ticks, info = opening.group(1), opening.group(2), opening.group(3)
        match = _LANGUAGE.match(info.strip())
        language = match.group(0).lower() if match else ""
        start = opening.end() + 1
        closing = re.compile(rf"^[ \t]*`{{{len(ticks)},}}[ \t]*$", re.MULTILINE).search(text, start)
        end = closing.start() if closing else len(text)
        body = text[start:end] if start <= len(text) else ""
        blocks.append((language, _dedent(body, len(indent))))
        if closing is None:
            return blocks
        pos = closing.end()


def _dedent(body: str, width: int) -> str:
    """Remove up to `width` leading spaces from each line (the fence's own indent)."""
    if not width:
        return body
    pattern = re.compile(rf"^[ \t]{{0,{width}}}", re.MULTILINE)
    return pattern.sub("", body)


def extract_program(completion: str) -> str | None:
    """The program to run, or None when there is none."""
    text = completion.replace("\r\n", "\n") if "\r" in completion else completion
    blocks = _blocks(text) if "```" in text else []
    if blocks:
        python = [body for language, body in blocks if language in PYTHON_TAGS]
        program = python[-1] if python else None
    else:  # no fence (a "```" inside a line is not one): the completion is the program
        program = text
    if program is None or not program.strip():
        return None
    return program
