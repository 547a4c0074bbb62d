"""The sandbox: runs a Python program isolated in layers (bubblewrap namespaces, a uid of its own,
rlimits, seccomp), one-shot or forked from a long-lived zygote. It knows nothing of what it runs.

The interface (all a caller needs): `run_python` (a program's source), `run_program` (a trusted
`Program`: .py files of a package, e.g. the code verifier's runner), `detect` / `require` /
`warm_up` (the layers found here), `SandboxResult`, `Capabilities`, `SandboxUnavailable`.
Modules, bottom up: settings, capabilities, limits, slots (uid slots); bwrap, seccomp, pipes and
programs beside them; oneshot and zygote (the two backends, peers); api (probing and dispatch).
inside/ holds the programs that run inside the sandbox (loader, bootstrap, zygote).
"""

from rlvr.services.sandbox.api import detect, require, run_program, run_python, warm_up
from rlvr.services.sandbox.capabilities import ALL_LAYERS, REQUIRED, Capabilities, SandboxUnavailable
from rlvr.services.sandbox.pipes import SandboxResult
from rlvr.services.sandbox.programs import Program

__all__ = [
    "ALL_LAYERS",
    "REQUIRED",
    "Capabilities",
    "Program",
    "SandboxResult",
    "SandboxUnavailable",
    "detect",
    "require",
    "run_program",
    "run_python",
    "warm_up",
]
