"""`CodeVerifier` (`code` 1.1.0): format 0.5 when a program is found and compiles; correctness 1.0
when every test of the reference passes in the sandbox; answer "passed/total"; the rules, flags and
statuses are docs/verifiers/code.md's.

Runs in the worker pool (isolation `process`); each pool worker claims its own sandbox uid slot and,
in bwrap-root mode, keeps its own zygote (a long-lived sandbox that forks each run).
A bad reference raises ValueError (status error); no usable sandbox raises SandboxUnavailable
(status error), never a made-up 0.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from rlvr.services import sandbox
from rlvr.services.verifiers.base import Verdict, Verifier
from rlvr.services.verifiers.code import harness
from rlvr.services.verifiers.code.extract import extract_program
from rlvr.services.verifiers.code.reference import parse_reference, reference_limits

FORMAT_REWARD = 0.5
CORRECTNESS_REWARD = 1.0
MAX_PROGRAM_CHARS = 256 * 1024
# The flag of a failing run: its failures' statuses, in this order.
FLAG_ORDER = ("syntax_error", "memory_limit", "output_limit", "time_limit", "runtime_error", "wrong_answer")


class CodeVerifier(Verifier):
    name = "code"
    version = "1.1.0"  # 1.1.0: no exit status is a verdict; check code's output is capped at 1 MiB
    components: ClassVar[dict[str, float]] = {"format": FORMAT_REWARD, "correctness": CORRECTNESS_REWARD}
    description = (
        "Python program (last fenced block) run against the reference's tests in a sandbox: "
        "stdin/stdout, fn_name + args, or HumanEval check(candidate)"
    )
    isolation: ClassVar[Literal["inline", "process"]] = "process"

    def warm_up(self) -> None:
        """Probe the sandbox, claim this worker's uid slot and start its zygote before the first item."""
        sandbox.warm_up()

    def details(self) -> dict[str, object]:
        caps = sandbox.detect()
        sandbox_info = {"mode": caps.mode, "layers": list(caps.layers), "zygote": caps.zygote}
        return {"sandbox": {**sandbox_info, "problems": list(caps.problems)}}

    def reproducible(self, verdict: Verdict) -> bool:
        """A run that hit its time or memory limit may pass on a less loaded machine: never cached."""
        return not {"time_limit", "memory_limit"} & set(verdict.flags)

    def item_budget_s(self, reference: str) -> float | None:
        """The reference's own limits: every test's time limit, the sandbox's margins, time to reap."""
        try:
            return harness.item_budget_s(reference_limits(reference))
        except ValueError:
            return None

    def dedup_key(self, completion: str) -> str | None:
        """Completions with the same program get the same verdict for one reference."""
        return extract_program(completion) or ""

    def score(self, completion: str, reference: str) -> Verdict:
        ref = parse_reference(reference)  # ValueError: status error
        total = ref.n_tests
        zero = {"format": 0.0, "correctness": 0.0}
        program = extract_program(completion)
        if program is None:
            return Verdict(components=zero, answer=f"0/{total}", flags=("no_program",))
        if len(program) > MAX_PROGRAM_CHARS:
            return Verdict(components=zero, answer=f"0/{total}", flags=("program_too_long",))
        source = program
        if ref.kind == "check":
            prelude_part, program_part = harness.check_program(program, ref)
            source = prelude_part + "\n" + program_part if prelude_part else program_part
        try:
            compile(source, "<program>", "exec")
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return Verdict(components=zero, answer=f"0/{total}", flags=("syntax_error",))
        result = harness.run(program, ref)  # SandboxUnavailable: status error
        passed = result.passed
        components = {"format": FORMAT_REWARD, "correctness": CORRECTNESS_REWARD if passed == total else 0.0}
        statuses = {t.status for t in result.tests if not t.passed}
        if "missing" in statuses:  # the sandbox stopped before reporting: its own limits say why
            sb = result.sandbox
            statuses.add("output_limit" if sb.output_limit else "memory_limit" if sb.memory_limit else "time_limit")
        flags = tuple(f for f in FLAG_ORDER if f in statuses)
        return Verdict(components=components, answer=f"{passed}/{total}", flags=flags)
