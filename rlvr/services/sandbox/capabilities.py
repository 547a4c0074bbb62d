"""What the sandbox can do here: the layers it found (`api.detect` probes them once per process),
its mode, and the error raised when the required layers are not there.

>>> Capabilities(("rlimits", "seccomp", "uid"), "plain").zygote
False
"""

from __future__ import annotations

from dataclasses import dataclass

# The minimum: with fewer, the sandbox refuses to run anything.
REQUIRED = ("uid", "rlimits", "seccomp")
# What bubblewrap adds (bwrap.py), and every layer a root service gets (bwrap-root mode).
NAMESPACE_LAYERS = ("bwrap", "netns", "pidns", "fs", "tmpfs")
ALL_LAYERS = tuple(sorted({*REQUIRED, *NAMESPACE_LAYERS}))


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run here with the required layers: nothing may be run unisolated."""


@dataclass(frozen=True, slots=True)
class Capabilities:
    layers: tuple[str, ...]
    mode: str  # bwrap-root, bwrap-userns, plain, or none
    problems: tuple[str, ...] = ()
    zygote: bool = False  # runs are forked by a long-lived sandbox per worker (bwrap-root only)
