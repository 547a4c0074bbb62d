"""A conformance check any verifier can run against itself (see docs/writing-a-verifier.md).

    from rlvr.testing.conformance import check_verifier
    def test_my_verifier_conforms():
        check_verifier("my_package.module:MyVerifier", samples=[("\\boxed{2}", "2", 1.5)])

It checks the class (name, version, components), determinism, one verdict per item with known
components inside their bounds and reward = sum(components), the expected reward on your
samples, and that hostile inputs neither raise nor outlive the deadline, through the real
runtime: a uvicorn server on 127.0.0.1 that hosts only your verifier, pool included.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import httpx

from rlvr.services.verifiers.base import Verifier
from rlvr.services.verifiers.registry import verifier_class

HOSTILE: tuple[str, ...] = (
    "",
    "\x00" * 1000,
    "9" * 200_000,
    "\\boxed{" * 20_000 + "1" + "}" * 20_000,
    "{" * 100_000,
    "<answer>" * 20_000,
    "#### " * 20_000,
    "\\boxed{9^{9^{9^{9}}}}",
    "10**10**10",
    "\ud7ff\uffff" * 1000,
)


# Hostile shapes at any size. The scans of a verifier must take time linear in the size
# (tests/test_linear_scans.py; benchmarks/bench_hardening.py reports seconds per MiB for each).
def _repeat(unit: str) -> Callable[[int], str]:
    return lambda size: unit * (size // len(unit))


def _nest(opening: str, closing: str) -> Callable[[int], str]:
    return lambda size: opening * (size // 2 // len(opening)) + "1" + closing * (size // 2 // len(closing))


HOSTILE_SHAPES: dict[str, Callable[[int], str]] = {
    "#### runs": _repeat("#### "),
    "####\\n runs": _repeat("####\n"),
    "#### then numbers": lambda size: "#### " + "1 " * (size // 2),
    "\\boxed{ runs": _repeat("\\boxed{"),
    "\\boxed{1} runs": _repeat("\\boxed{1}"),
    "nested \\boxed": _nest("\\boxed{", "}"),
    "{ runs": _repeat("{"),
    "} runs": _repeat("}"),
    "\\frac{ runs": _repeat("\\frac{"),
    "<answer> runs": _repeat("<answer>"),
    "</answer> runs": _repeat("</answer>"),
    "nested <answer>": _nest("<answer>", "</answer>"),
    "<answer>1</answer> runs": _repeat("<answer>1</answer>"),
    "digits": _repeat("1"),
    "1/1/1": _repeat("1/"),
    "1,1,1": _repeat("1,"),
    "1.1.1": _repeat("1."),
    "1e1e1": _repeat("1e"),
    "huge exponents": _repeat("1e999999999 "),
    "#### then a long exponent": lambda size: "#### 1e" + "9" * (size - 7),
    "#### then relations": lambda size: "#### " + "1 = " * (size // 4),
    "#### then alternatives": lambda size: "#### " + "1 or " * (size // 5),
    "#### two values, then brackets": lambda size: "#### 1 = 2 " + "([{" * (size // 3),
    "- runs": _repeat("-"),
    "$ runs": _repeat("$"),
    "NUL bytes": _repeat("\x00"),
    "whitespace": _repeat(" \n"),
}


def hostile(shape: str, size: int) -> str:
    """The named shape of HOSTILE_SHAPES at about `size` characters."""
    return HOSTILE_SHAPES[shape](size)


_SEMVER = re.compile(r"^\d+\.\d+\.\d+([-+].+)?$")


class ConformanceError(AssertionError):
    """The verifier breaks the plugin contract; the message says how."""


def _fail(message: str) -> None:
    raise ConformanceError(message)


def check_class(cls: type[Verifier]) -> None:
    """Name, semantic version, components with positive maxima, a known isolation."""
    if not re.fullmatch(r"[a-z][a-z0-9_\-]*", getattr(cls, "name", "")):
        _fail(f"{cls.__name__}.name must be a lowercase identifier, got {getattr(cls, 'name', None)!r}")
    if not _SEMVER.match(getattr(cls, "version", "")):
        _fail(f"{cls.__name__}.version must be semantic (1.0.0), got {getattr(cls, 'version', None)!r}")
    components = getattr(cls, "components", None)
    if not components or not all(isinstance(v, int | float) and v > 0 for v in components.values()):
        _fail(f"{cls.__name__}.components must map names to positive maxima, got {components!r}")
    if cls.isolation not in ("inline", "process"):
        _fail(f"{cls.__name__}.isolation must be 'inline' or 'process', got {cls.isolation!r}")


def _check_result(cls: type[Verifier], result: dict, where: str) -> None:
    if result["status"] == "scored":
        if set(result["components"]) != set(cls.components):
            _fail(f"{where}: components {sorted(result['components'])} != declared {sorted(cls.components)}")
        for name, value in result["components"].items():
            if not (math.isfinite(value) and 0 <= value <= cls.components[name]):
                _fail(f"{where}: component {name}={value} outside [0, {cls.components[name]}]")
        if not math.isclose(result["reward"], sum(result["components"].values())):
            _fail(f"{where}: reward {result['reward']} != sum of components")
    elif result["reward"] is not None:
        _fail(f"{where}: status {result['status']} must carry reward null")


@contextmanager
def _serve(spec: str, deadline_s: float) -> Iterator[str]:
    from rlvr.services.runtime import Settings, create_app
    from rlvr.testing.servers import running_server

    with running_server(create_app(Settings(verifiers=[spec], workers=1, item_deadline_s=deadline_s))) as url:
        yield url


def check_verifier(
    spec: str, samples: Sequence[tuple[str, str, float]], reference: str = "1", deadline_s: float = 2.0
) -> None:
    """Run every conformance check; `samples` are (completion, reference, expected reward)."""
    cls = verifier_class(spec)
    check_class(cls)
    verifier = cls()
    for completion, ref, expected in samples:
        first, second = verifier.score(completion, ref), verifier.score(completion, ref)
        if first != second:
            _fail(f"not deterministic on {completion[:40]!r}: {first} then {second}")
        if not math.isclose(first.reward, expected):
            _fail(f"{completion[:40]!r} against {ref!r}: reward {first.reward}, expected {expected}")

    with _serve(spec, deadline_s) as url:
        items = [{"id": str(i), "completion": c, "reference": r} for i, (c, r, _) in enumerate(samples)]
        items += [{"id": f"h{i}", "completion": c, "reference": reference} for i, c in enumerate(HOSTILE)]
        started = time.monotonic()
        reply = httpx.post(f"{url}/score", json={"items": items}, timeout=60 + deadline_s * len(items))
        elapsed = time.monotonic() - started
        if reply.status_code != 200:
            _fail(f"/score answered {reply.status_code}: {reply.text[:300]}")
        results = reply.json()["results"]
        if [r["id"] for r in results] != [i["id"] for i in items]:
            _fail("results must come one per item, in item order")
        for item, result in zip(items, results, strict=True):
            _check_result(cls, result, f"item {item['id']}")
            if result["status"] == "error" and "verifier_error" in result["flags"]:
                _fail(f"item {item['id']}: score() raised: {result['error']}")
        budget = (deadline_s + 5.0) * (1 if cls.isolation == "inline" else len(HOSTILE))
        if elapsed > budget:
            _fail(f"hostile inputs took {elapsed:.1f}s; deadline plus margin is {budget:.1f}s")
