"""The verdict cache: a repeat is served without scoring and is byte for byte what a fresh score returns;
nothing unreproducible (time or memory limits, timeouts, errors) is ever stored; bounded in bytes."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator
from typing import ClassVar

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from rlvr.services.protocol import Status
from rlvr.services.runtime.cache import VerdictCache, entry_bytes, item_key
from rlvr.services.verifiers.base import Verdict, Verifier
from rlvr.services.verifiers.gsm8k import GSM8KVerifier
from rlvr.services.verifiers.outcome import Outcome, score_one
from rlvr.testing.processes import serve_process
from tests.code_cases import CALL, CHECK, STDIO, require_sandbox
from tests.conftest import GSM8K_DIR, require_shared_data


class Counting(Verifier):
    """Scores `completion == reference`, counting its calls; `unreproducible` answers are declared so."""

    name, version = "counting", "1.0.0"
    components: ClassVar[dict[str, float]] = {"match": 1.0}

    def __init__(self) -> None:
        self.calls = 0

    def reproducible(self, verdict: Verdict) -> bool:
        if verdict.answer == "raise":
            raise RuntimeError("a plugin's bug")
        return verdict.answer != "unreproducible"

    def score(self, completion: str, reference: str) -> Verdict:
        self.calls += 1
        return Verdict({"match": float(completion == reference)}, answer=completion)


def run(cache: VerdictCache, verifier: Verifier, items: list[tuple[str, str]]) -> list[Outcome]:
    async def score(todo: list[tuple[str, str]]) -> list[Outcome]:
        return [score_one(verifier, completion, reference) for completion, reference in todo]

    return asyncio.run(cache.outcomes(verifier, items, score))


def test_a_repeat_is_served_without_scoring_it_again() -> None:
    verifier, cache = Counting(), VerdictCache(1 << 20, CollectorRegistry())
    first = run(cache, verifier, [("a", "a"), ("b", "a")])
    assert verifier.calls == 2
    again = run(cache, verifier, [("b", "a"), ("c", "a"), ("a", "a")])  # new item in the middle, order kept
    assert verifier.calls == 3
    assert again[0] == first[1] and again[2] == first[0] and again[1].answer == "c"


@pytest.mark.parametrize(
    ("other", "why"),
    [
        (("x", "ref", "counting", "1.0.0"), "the same item"),
        (("y", "ref", "counting", "1.0.0"), "another completion"),
        (("x", "ref2", "counting", "1.0.0"), "another reference"),
        (("x", "ref", "counting", "1.0.1"), "another version"),
        (("x", "ref", "exact", "1.0.0"), "another verifier"),
    ],
)
def test_the_key_is_name_version_reference_and_completion(other: tuple[str, str, str, str], why: str) -> None:
    completion, reference, name, version = other
    kind = type("V", (Counting,), {"name": name, "version": version})
    same = item_key(kind(), completion, reference) == item_key(Counting(), "x", "ref")
    assert same == (why == "the same item")


@pytest.mark.parametrize(
    "outcome",
    [
        Outcome.failed(Status.TIMEOUT, "late", "deadline_exceeded"),
        Outcome.failed(Status.ERROR, "bad reference: x", "bad_reference"),
        Outcome(Status.SCORED, {"match": 0.0}, "unreproducible"),
        Outcome(Status.SCORED, {"match": 0.0}, "raise"),  # reproducible() failing: not stored, not raised
    ],
)
def test_unreproducible_outcomes_are_never_stored(outcome: Outcome) -> None:
    verifier, cache = Counting(), VerdictCache(1 << 20, CollectorRegistry())
    calls = []

    async def score(todo: list[tuple[str, str]]) -> list[Outcome]:
        calls.append(todo)
        return [outcome] * len(todo)

    for _ in range(2):
        assert asyncio.run(cache.outcomes(verifier, [("x", "y")], score)) == [outcome]
    assert len(calls) == 2 and len(cache) == 0


def test_bounded_in_bytes_least_recently_used_out_first() -> None:
    verifier = Counting()
    size = entry_bytes(item_key(verifier, "0", "r"), score_one(verifier, "0", "r"))
    cache = VerdictCache(3 * size, CollectorRegistry())
    run(cache, verifier, [("0", "r"), ("1", "r"), ("2", "r")])
    run(cache, verifier, [("0", "r")])  # 0 is now the most recently used
    run(cache, verifier, [("3", "r")])  # evicts 1
    assert len(cache) == 3 and cache.bytes <= 3 * size
    calls = verifier.calls
    run(cache, verifier, [("0", "r"), ("2", "r"), ("3", "r")])
    assert verifier.calls == calls
    run(cache, verifier, [("1", "r")])
    assert verifier.calls == calls + 1


def test_off_scores_everything() -> None:
    verifier, cache = Counting(), VerdictCache(0, CollectorRegistry())
    for _ in range(3):
        run(cache, verifier, [("a", "a")])
    assert verifier.calls == 3 and len(cache) == 0


# Through a real `rlvr serve`: every verifier, varied items.


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    require_sandbox()
    env = {"RLVR_VERIFIERS": "gsm8k,math,code", "RLVR_ITEM_DEADLINE_S": "2", "RLVR_VERDICT_CACHE_BYTES": "8388608"}
    with serve_process(env) as (_, url):
        yield url


def counters(url: str, verifier: str) -> dict[str, float]:
    """This verifier's cache counters: hit, miss, unstored."""
    out: dict[str, float] = {"hit": 0.0, "miss": 0.0, "unstored": 0.0}
    for family in text_string_to_metric_families(httpx.get(f"{url}/metrics").text):
        for sample in family.samples:
            if sample.labels.get("verifier") != verifier or not sample.name.endswith("_total"):
                continue
            if sample.name == "rlvr_verdict_cache_lookups_total":
                out[sample.labels["result"]] = sample.value
            elif sample.name == "rlvr_verdict_cache_unstored_total":
                out["unstored"] = sample.value
    return out


def post(url: str, verifier: str, items: list[dict], deadline_s: float = 120) -> bytes:
    body = {"verifier": verifier, "request_id": "fixed", "items": items, "deadline_s": deadline_s}
    reply = httpx.post(f"{url}/score", json=body, timeout=deadline_s + 30)
    assert reply.status_code == 200, reply.text
    return reply.content


def gsm8k_items() -> list[dict]:
    require_shared_data(GSM8K_DIR)
    rows = [json.loads(line) for line in itertools.islice((GSM8K_DIR / "test.jsonl").open(), 12)]
    items = []
    for row in rows:
        answer = row["answer"].rsplit("#### ", 1)[1]
        items += [
            {"completion": row["answer"], "reference": row["answer"]},  # the worked solution itself
            {"completion": f"So it is {answer}.\n#### {answer}", "reference": answer},
            {"completion": f"#### {answer}0 or {answer}", "reference": answer},  # flagged
            {"completion": "I do not know", "reference": row["answer"]},  # no_answer
        ]
    return items


MATH_ITEMS = [
    {"completion": c, "reference": r}
    for c, r in [
        ("\\boxed{\\frac{1}{2}}", "0.5"),
        ("\\boxed{\\sqrt{4}}", "2"),
        ("\\boxed{(x+1)^2}", "x^2+2x+1"),
        ("\\boxed{[0,1]}", "(0,1]"),
        ("the answer is 0.5", "0.5"),
        ("\\boxed{1} or \\boxed{2}", "1"),
        ("\\boxed{" + "x+" * 600 + "1}", "1"),
    ]
]

CODE_ITEMS = [
    {"completion": c, "reference": r}
    for c, r in [
        ("```python\na, b = map(int, input().split())\nprint(a + b)\n```", STDIO),
        ("```python\nprint(7)\n```", STDIO),  # wrong answer
        ("def add(a, b):\n    return a + b", CALL),
        ("def add(a, b):\n    return a - b", CALL),
        ("def add(a, b):\n    return a + b", CHECK),
        ("def add(a, b) return", CHECK),  # syntax error
        ("no program here", STDIO),
        ("```python\nraise ValueError(3)\n```", STDIO),  # runtime error
    ]
]


@pytest.mark.parametrize(("verifier", "items"), [("gsm8k", None), ("math", MATH_ITEMS), ("code", CODE_ITEMS)])
def test_hits_are_byte_identical_to_fresh_verdicts(server: str, verifier: str, items: list[dict] | None) -> None:
    items = gsm8k_items() if items is None else items
    before = counters(server, verifier)
    fresh = post(server, verifier, items)
    after_fresh = counters(server, verifier)
    assert after_fresh["miss"] - before["miss"] == len(items)  # scored, not served
    assert after_fresh["unstored"] == before["unstored"]  # every verdict here is reproducible
    assert post(server, verifier, items) == fresh
    assert counters(server, verifier)["hit"] - after_fresh["hit"] == len(items)
    statuses = {r["status"] for r in json.loads(fresh)["results"]}
    assert statuses == {"scored"} and len({r["reward"] for r in json.loads(fresh)["results"]}) > 1


# A program at or over its time or memory limit is judged afresh every time: on a quieter machine it may pass.
LIMITED = [
    ("```python\nwhile True: pass\n```", {"time_limit_s": 0.5}, "time_limit"),
    (
        "```python\nimport time\nt = time.time()\nwhile time.time() - t < 0.6: pass\nprint(1)\n```",
        {"time_limit_s": 0.5},
        "time_limit",
    ),
    # Memory the program really uses (docs/verifiers/code.md: memory_limit is an abnormal end after using
    # most of memory_mb; one allocation far over the limit fails at once and is a runtime_error).
    ("```python\nx = []\nwhile True:\n    x.append(bytearray(2**20))\n```", {"memory_mb": 128}, "memory_limit"),
]


@pytest.mark.parametrize(("program", "limits", "flag"), LIMITED)
def test_a_program_over_its_limits_is_never_served_from_the_cache(
    server: str, program: str, limits: dict, flag: str
) -> None:
    reference = json.dumps({**limits, "tests": [{"stdin": "", "stdout": "1"}]})
    for round_ in range(2):
        before = counters(server, "code")
        [result] = json.loads(post(server, "code", [{"completion": program, "reference": reference}]))["results"]
        assert flag in result["flags"], result
        after = counters(server, "code")
        assert (after["miss"] - before["miss"], after["hit"] - before["hit"]) == (1, 0), round_
        assert after["unstored"] - before["unstored"] == 1


def test_a_timed_out_item_is_never_served_from_the_cache(server: str) -> None:
    reference = json.dumps({"time_limit_s": 5, "tests": [{"stdin": "", "stdout": "1"}]})
    item = {"completion": "```python\nwhile True: pass\n```", "reference": reference}
    for _ in range(2):
        before = counters(server, "code")
        [result] = json.loads(post(server, "code", [item], deadline_s=0.5))["results"]
        assert result["status"] == "timeout"
        after = counters(server, "code")
        assert (after["miss"] - before["miss"], after["unstored"] - before["unstored"]) == (1, 1)


def test_a_cached_gsm8k_verdict_is_the_verifiers_own() -> None:
    # The cache stores what score_one returns; nothing is re-derived on a hit.
    verifier = GSM8KVerifier()
    cache = VerdictCache(1 << 20, CollectorRegistry())
    items = [("#### 18", "18"), ("#### 18 or 20", "18")]
    assert run(cache, verifier, items) == run(cache, verifier, items) == [score_one(verifier, *i) for i in items]
