"""The `ifeval` verifier hosted on its own (`RLVR_VERIFIERS=ifeval rlvr serve`), over real HTTP:
several instructions per item, bad references labelled errors (never a 5xx), the conformance kit."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from rlvr.testing.conformance import check_verifier
from rlvr.testing.processes import serve_process
from tests.ifeval_cases import reference

MIXED = reference(
    ("punctuation:no_comma", {}),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2}),
    ("length_constraints:number_words", {"num_words": 12, "relation": "less than"}),
    ("startend:end_checker", {"end_phrase": "Any other questions?"}),
)


@pytest.fixture(scope="module")
def ifeval_url() -> Iterator[str]:
    with serve_process({"RLVR_VERIFIERS": "ifeval", "RLVR_WORKERS": "1"}) as (_, url):
        yield url


def score(url: str, items: list[dict]) -> list[dict]:
    reply = httpx.post(f"{url}/score", json={"items": items}, timeout=120)
    assert reply.status_code == 200, reply.text
    return reply.json()["results"]


def test_the_service_hosts_only_ifeval(ifeval_url: str) -> None:
    verifiers = httpx.get(f"{ifeval_url}/verifiers", timeout=10).json()
    assert [(v["name"], v["version"]) for v in verifiers["verifiers"]] == [("ifeval", "1.0.0")]


MIXED_ITEMS = [
    # (completion, answer, correctness, partial, flags)
    ("*Short* and *sweet*. Any other questions?", "4/4", 1.0, 0.5, []),
    ("*Short*, *sweet*. Any other questions?", "3/4", 0.0, 0.375, ["punctuation:no_comma"]),
    ("Plain and long: " + "word " * 20, "1/4", 0.0, 0.125,
     ["detectable_format:number_highlighted_sections", "length_constraints:number_words", "startend:end_checker"]),
    ("", "0/4", 0.0, 0.0,
     ["punctuation:no_comma", "detectable_format:number_highlighted_sections", "length_constraints:number_words",
      "startend:end_checker"]),
]  # fmt: skip


def test_several_instructions_per_item(ifeval_url: str) -> None:
    items = [{"id": str(i), "completion": c, "reference": MIXED} for i, (c, *_) in enumerate(MIXED_ITEMS)]
    results = score(ifeval_url, items)
    for result, (_, answer, correctness, partial, flags) in zip(results, MIXED_ITEMS, strict=True):
        assert result["status"] == "scored"
        assert (result["answer"], result["components"], result["flags"]) == (
            answer,
            {"correctness": correctness, "partial": partial},
            flags,
        )
        assert result["reward"] == correctness + partial


def test_bad_references_are_labelled_errors_in_a_scored_batch(ifeval_url: str) -> None:
    items = [
        {"id": "ok", "completion": "Fine.", "reference": reference(("punctuation:no_comma", {}))},
        {"id": "unknown", "completion": "Fine.", "reference": reference(("punctuation:no_commas", {}))},
        {"id": "kwargs", "completion": "Fine.", "reference": reference(("punctuation:no_comma", {"num_words": 2}))},
        {"id": "json", "completion": "Fine.", "reference": "{not json"},
    ]
    ok, unknown, kwargs, broken = score(ifeval_url, items)
    assert ok["status"] == "scored" and ok["answer"] == "1/1"
    for result, problem in [(unknown, "unknown instruction id"), (kwargs, "unexpected kwargs"), (broken, "not JSON")]:
        assert result["status"] == "error" and result["reward"] is None
        assert result["flags"] == ["bad_reference"] and problem in result["error"]


def test_conforms_to_the_verifier_contract() -> None:
    ref = reference(("punctuation:no_comma", {}), ("startend:quotation", {}))
    samples = [('"No commas."', ref, 1.5), ('"Yes, commas."', ref, 0.25), ("", ref, 0.0)]
    check_verifier("ifeval", samples=samples, reference=MIXED, deadline_s=5.0)
