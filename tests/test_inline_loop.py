"""Small batches of a linear inline verifier score on the event loop, larger ones in the inline thread,
with the same verdicts either way (RLVR_INLINE_LOOP_MAX_CHARS)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from rlvr.services.runtime import Settings
from tests.plugins import threads

ITEMS = [{"completion": str(n), "reference": str(n % 3)} for n in range(8)]  # 16 characters in all


@pytest.mark.parametrize(
    ("loop_max_chars", "in_thread"),
    [
        (16, False),  # the batch fits: the server's event loop scores it
        (15, True),  # one character over: the inline thread
        (0, True),  # off
    ],
)
def test_where_a_batch_is_scored_and_that_its_verdicts_do_not_depend_on_it(
    serve: Callable[[Settings], str], loop_max_chars: int, in_thread: bool
) -> None:
    url = serve(Settings(verifiers=["tests.plugins.threads:ThreadRecorder"], inline_loop_max_chars=loop_max_chars))
    threads.SEEN.clear()
    reply = httpx.post(f"{url}/score", json={"items": ITEMS}, timeout=30)
    assert reply.status_code == 200
    assert [r["reward"] for r in reply.json()["results"]] == [float(n == n % 3) for n in range(8)]
    inline = {name.startswith("rlvr-inline") for name in threads.SEEN}
    assert inline == {in_thread}, threads.SEEN
