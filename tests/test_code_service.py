"""The `code` verifier hosted by the real service (`RLVR_VERIFIERS=code rlvr serve`), over HTTP.

Issue 12's bar: every HumanEval canonical solution scores 1.0 through /score, an empty and a wrong
completion 0; every attack scores 0 and leaves the service healthy, its pool at full strength and
no sandbox process alive; identical programs in one request run once.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from rlvr.testing.processes import child_pids, free_port, serve_process
from rlvr.trainer.code_tasks import humaneval_reference, humaneval_rows
from tests.code_cases import CHECK, STDIO, require_sandbox, sandbox_processes
from tests.test_code_sandbox import HOSTILE

WORKERS = 2


@pytest.fixture(scope="module")
def code_service() -> Iterator[tuple[int, str]]:
    require_sandbox()
    env = {"RLVR_VERIFIERS": "code", "RLVR_WORKERS": str(WORKERS), "RLVR_ITEM_DEADLINE_S": "1"}
    with serve_process(env) as (proc, url):
        yield proc.pid, url


def score(url: str, items: list[dict], deadline_s: float = 120) -> list[dict]:
    body = {"verifier": "code", "items": items, "deadline_s": deadline_s}
    reply = httpx.post(f"{url}/score", json=body, timeout=deadline_s + 30)
    assert reply.status_code == 200, reply.text
    return reply.json()["results"]


def test_all_humaneval_canonical_solutions_score_one(code_service):
    _, url = code_service
    rows = humaneval_rows()
    items = [
        {"id": r["task_id"], "completion": r["canonical_solution"], "reference": humaneval_reference(r)} for r in rows
    ]
    results = score(url, items)
    failed = [(r["id"], r["status"], r["flags"]) for r in results if r["components"].get("correctness") != 1.0]
    assert len(results) == 164 and failed == []


def test_empty_and_wrong_completions_score_zero(code_service):
    _, url = code_service
    row = humaneval_rows()[0]
    reference = humaneval_reference(row)
    empty, wrong = score(
        url, [{"completion": "", "reference": reference}, {"completion": "    return None\n", "reference": reference}]
    )
    assert (empty["status"], empty["reward"], empty["flags"]) == ("scored", 0.0, ["no_program"])
    assert (wrong["status"], wrong["components"]) == ("scored", {"format": 0.5, "correctness": 0.0})


def test_attacks_through_the_service_leave_it_whole(code_service):
    pid, url = code_service
    before = sorted(child_pids(pid))
    items = [{"id": str(i), "completion": f"```python\n{p}\n```", "reference": CHECK} for i, p in enumerate(HOSTILE)]
    results = score(url, items)
    assert [r["status"] for r in results] == ["scored"] * len(HOSTILE)
    assert [r["id"] for r in results if r["components"]["correctness"] != 0.0] == []
    assert httpx.get(f"{url}/readyz", timeout=5).status_code == 200
    assert len(child_pids(pid)) == len(before)  # workers and spares: none lost
    assert sandbox_processes() == []
    # and it still judges: a correct program after the attacks
    assert score(url, [{"completion": "def add(a, b):\n    return a + b", "reference": CHECK}])[0]["reward"] == 1.5


def test_time_limit_is_a_scored_zero_not_a_timeout(code_service):
    # two tests of 1.5 s each outlast the service's 1 s item deadline: the reference's limits win
    _, url = code_service
    reference = json.dumps({"time_limit_s": 1.5, "tests": [{"stdin": "", "stdout": "1"}] * 2})
    [result] = score(url, [{"completion": "while True: pass", "reference": reference}])
    assert (result["status"], result["flags"], result["answer"]) == ("scored", ["time_limit"], "0/2")


RIGHT = "a,b=map(int,input().split())\nprint(a+b)"
DEDUP_CASES = {
    # two identical (program, reference) items, as a user checking the metric sends them: 1 run saved
    "identical items": ([{"completion": RIGHT, "reference": STDIO}] * 2, [1.5, 1.5], 1),
    # a GRPO group: 8 completions, two programs (in different prose); 6 runs saved
    "one program in different prose": (
        [{"completion": f"Take {i}:\n```python\n{RIGHT}\n```", "reference": STDIO} for i in range(4)]
        + [{"completion": "print(0)", "reference": STDIO} for _ in range(4)],
        [1.5] * 4 + [0.5] * 4,
        6,
    ),
}


@pytest.mark.parametrize(("items", "rewards", "saved"), DEDUP_CASES.values(), ids=DEDUP_CASES.keys())
def test_identical_programs_run_once_and_are_counted(code_service, items, rewards, saved):
    # rlvr_deduplicated_items_total{verifier="code"} appears on /metrics once a request deduplicates
    _, url = code_service
    metric = 'rlvr_deduplicated_items_total{verifier="code"}'

    def counted() -> float:
        text = httpx.get(f"{url}/metrics", timeout=5).text
        return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(metric + " "))

    before = counted()
    results = score(url, items)
    assert [r["reward"] for r in results] == rewards
    assert counted() - before == saved


def test_verifiers_lists_the_sandbox_layers(code_service):
    _, url = code_service
    [info] = httpx.get(f"{url}/verifiers", timeout=5).json()["verifiers"]
    sandbox = info["details"]["sandbox"]
    assert (info["name"], info["version"], info["isolation"]) == ("code", "1.1.0", "process")
    assert {"uid", "rlimits", "seccomp"} <= set(sandbox["layers"])
    assert isinstance(sandbox["zygote"], bool)


def test_bad_reference_is_an_item_error(code_service):
    _, url = code_service
    [result] = score(url, [{"completion": "print(1)", "reference": "{not json"}])
    assert result["status"] == "error" and "not valid JSON" in result["error"]


def test_hang_bound(code_service):
    # a request of sleepers finishes near its own deadline, never hangs the service (generous bound)
    _, url = code_service
    started = time.monotonic()
    items = [{"completion": "import time\ntime.sleep(60)", "reference": STDIO}] * 2
    results = score(url, items, deadline_s=3)
    assert all(r["status"] in ("scored", "timeout") for r in results)
    assert time.monotonic() - started < 30


def test_without_bubblewrap_it_runs_on_fewer_layers_and_says_so_or_refuses(tmp_path):
    # no bwrap on PATH: either plain mode (uid + rlimits + seccomp), reported as such, or a refusal
    # to start that names the missing layers; never scoring code with less
    require_sandbox()
    log = tmp_path / "serve.log"
    port = free_port()
    env = os.environ | {"PATH": "/nonexistent", "RLVR_VERIFIERS": "code", "RLVR_WORKERS": "1", "RLVR_PORT": str(port)}
    cmd = [sys.executable, "-m", "rlvr.cli", "serve", "--host", "127.0.0.1"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=out, start_new_session=True)
    try:
        for _ in range(600):
            if proc.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        if proc.poll() is None:
            [info] = httpx.get(f"http://127.0.0.1:{port}/verifiers", timeout=5).json()["verifiers"]
            assert info["details"]["sandbox"]["layers"] == ["rlimits", "seccomp", "uid"]
        else:
            assert proc.returncode != 0 and "code sandbox unavailable: missing layers" in log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
