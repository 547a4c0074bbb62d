"""The program in a completion: the last fenced code block (```python, ```py or a bare fence);
with no fence, the completion itself; a blank one is no program (None).

>>> extract_program("text\\n```python\\nprint(1)\\n```\\nmore")
'print(1)\\n'
>>> extract_program("   ") is None
True
"""

from __future__ import annotations

import re

# An opening fence: ``` or longer and an optional language tag; the block runs to a closing fence
# of the same length, or to the end of the text. Blocks tagged with another language are skipped.
_ANY_OPEN = re.compile(r"^[ \t]*(`{3,})[ \t]*([^\s`]*)[^\n]*$", re.MULTILINE)


def _blocks(text: str) -> list[tuple[str, str]]:
    """(language tag, body) of each fenced block, in order; an unclosed last block runs to the end."""
    blocks: list[tuple[str, str]] = []
    pos = 0
    while True:
        opening = _ANY_OPEN.search(text, pos)
        if opening is None:
            return blocks
        ticks, tag = opening.group(1), opening.group(2).lower()
        start = opening.end() + 1
        closing = re.compile(rf"^[ \t]*{ticks}[ \t]*$", re.MULTILINE).search(text, start)
        end = closing.start() if closing else len(text)
        blocks.append((tag, text[start:end] if start <= len(text) else ""))
        if closing is None:
            return blocks
        pos = closing.end()


def extract_program(completion: str) -> str | None:
    """The program to run, or None when there is none."""
    blocks = _blocks(completion) if "```" in completion else []
    if blocks:
        python = [body for tag, body in blocks if tag in ("", "python", "py", "python3")]
        program = python[-1] if python else None
    else:  # no fence (a "```" inside a line is not one): the completion is the program
        program = completion
    if program is None or not program.strip():
        return None
    return program
