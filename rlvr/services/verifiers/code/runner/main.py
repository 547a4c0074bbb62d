"""The runner's entry, run inside the sandbox by the bootstrap or as a zygote's fresh child (already
at the slot uid, non-dumpable, a child subreaper): all tests of one completion in ONE sandbox.

It compiles the program first (a program that does not compile runs no test: `syntax_error`), then
forks one child per test; each child sets its own limits (CPU, address space, file size, open
files), closes every fd but its pipes and runs the program. The runner enforces each test's wall
limit; after each test it kills every other process of the uid in the sandbox (`kill(-1)`:
daemons, fork bombs) and reaps them. It reports one JSON row per test on a pipe only it holds
(closed in every child before the program runs): exit status, timing, the limits it saw the test
reach (watch.py: its own timer, output caps, CPU time and memory use, never an exit status or
anything printed), and the captured stdout (capped at 1 MiB) or the JSON return value. Expected
outputs never come in: the parent compares (judge.py).
"""

from __future__ import annotations

import json
import sys

from . import check, tests
from .common import Job


def main() -> None:
    job = Job(json.loads(sys.argv[1])["fds"])
    if job.kind == "check":
        check.run_check(job)
    else:
        tests.run_tests(job)
    job.report({"done": True})
