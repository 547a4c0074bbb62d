"""Schemathesis: requests generated from the service's own OpenAPI, sent to a live uvicorn server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from rlvr.services.runtime import Settings, create_app
from tests.conftest import TOKEN, running_server

APP_SETTINGS = Settings(api_token=TOKEN)
schema = schemathesis.openapi.from_dict(create_app(APP_SETTINGS).openapi())


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    with running_server(create_app(APP_SETTINGS)) as url:
        yield url


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_documented_responses(case, live_url: str) -> None:
    response = case.call(base_url=live_url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, response.text
    case.validate_response(response, checks=[response_schema_conformance])
