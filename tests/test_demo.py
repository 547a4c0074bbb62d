"""The demo's service lifecycle: started, ready, and stopped on success, failure and Ctrl-C."""

from __future__ import annotations

import httpx
import pytest

from rlvr.trainer.demo import managed_service


def _is_up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_service_is_ready_inside_and_stopped_after() -> None:
    with managed_service() as url:
        assert _is_up(url)
        reply = httpx.post(f"{url}/score", json={"items": [{"completion": "#### 2", "reference": "2"}]})
        assert reply.json()["results"][0]["reward"] == 1.5
    assert not _is_up(url)


@pytest.mark.parametrize("error", [RuntimeError("training failed"), KeyboardInterrupt()])
def test_service_is_stopped_when_the_demo_fails(error: BaseException) -> None:
    seen = {}
    with pytest.raises(type(error)), managed_service() as url:
        seen["url"] = url
        raise error
    assert not _is_up(seen["url"])
