"""The start of a one-shot sandboxed process (oneshot.py), called by loader.py: drop to the slot uid
(when root), harden (common.harden), set the process limit, then run the job from its pipe: a
program's source (`__source__`), or a trusted program's modules and entry (`__program__`, JSON).
The program finds the remaining pipes' fds in `json.loads(sys.argv[1])["fds"]`.
"""

from __future__ import annotations

import json
import os
import resource
import sys

from . import common, loader

TYPE_CHECKING = False  # `typing` is not imported at run time: every sandboxed process starts here
if TYPE_CHECKING:
    from typing import Any


def main(header: dict[str, Any]) -> None:
    if os.getuid() == 0 or os.geteuid() == 0:
        common.drop_to(header["uid"])
    common.harden()
    resource.setrlimit(resource.RLIMIT_NPROC, (header["nproc"], header["nproc"]))
    fds = header["fds"]
    if "__program__" in fds:
        program = json.loads(common.read_all(fds.pop("__program__")))
        sys.argv = ["<sandboxed>", json.dumps(header)]
        loader.run(program["modules"], program["main"])
        return
    code = compile(common.read_all(fds.pop("__source__")), "<program>", "exec")
    sys.argv = ["<sandboxed>", json.dumps(header)]
    del header, fds
    common.exec_main(code)
