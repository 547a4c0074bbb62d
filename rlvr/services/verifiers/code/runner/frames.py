"""What crosses between the candidate and the checker of a check-code test (check.py): length-
prefixed marshal frames of plain data only, never an object of the program's."""

from __future__ import annotations

import os
import struct

from .common import MIB

TYPE_CHECKING = False  # `typing` is not imported at run time (the sandbox starts fast without it)
if TYPE_CHECKING:
    from typing import Any

MAX_FRAME = 64 * MIB
PLAIN = (type(None), bool, int, float, complex, str, bytes, tuple, list, dict, set, frozenset)
SCALARS: tuple[type[Any], ...] = (bool, int, float, complex, str, bytes)


def send_frame(fd: int, data: bytes) -> None:
    view = memoryview(struct.pack("<Q", len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(fd: int, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        part = os.read(fd, min(1 << 20, n - got))
        if not part:
            raise EOFError
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def recv_frame(fd: int) -> bytes:
    (n,) = struct.unpack("<Q", _read_exactly(fd, 8))
    if n > MAX_FRAME:
        raise ValueError("frame too large")
    return _read_exactly(fd, n)


def plain(value: Any, depth: int = 0) -> bool:
    """Only plain data comes back to the checker (marshal never makes anything else but code)."""
    if depth > 200 or type(value) not in PLAIN:
        return False
    if type(value) in (tuple, list, set, frozenset):
        return all(plain(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(plain(k, depth + 1) and plain(v, depth + 1) for k, v in value.items())
    return True


def as_plain(value: Any, depth: int) -> Any:
    """In the candidate: subclasses of plain types (defaultdict, namedtuple, an int subclass) as the
    plain type itself, so marshal can send them; the checker still accepts only plain data."""
    if depth > 200:
        raise ValueError("the return value is nested too deeply")
    if type(value) in (type(None), *SCALARS):
        return value
    for base in SCALARS:
        if isinstance(value, base):
            return base(value)
    if isinstance(value, dict):
        return {as_plain(k, depth + 1): as_plain(v, depth + 1) for k, v in value.items()}
    for kind in (tuple, list, set, frozenset):
        if isinstance(value, kind):
            return kind(as_plain(v, depth + 1) for v in value)
    return value  # anything else: marshal refuses it, and the checker sees the candidate fail
