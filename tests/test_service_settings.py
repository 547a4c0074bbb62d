"""Configuration declared once per process: the sandbox's settings are the service `Settings`' field
`code`, read from the same RLVR_CODE_* variables, and handed down to every pool worker."""

from __future__ import annotations

import asyncio
import os

import pytest

from rlvr.services.runtime.pool import WorkerPool
from rlvr.services.runtime.settings import Settings, variable_names
from rlvr.services.sandbox.settings import SandboxSettings

PROBE = "tests.plugins.misbehaving:SandboxSettingsProbe"

VARIABLES = [  # (variable, value, field of Settings().code, the value read)
    ("RLVR_CODE_UID_BASE", "30000", "uid_base", 30000),
    ("RLVR_CODE_UID_SLOTS", "8", "uid_slots", 8),
    ("RLVR_CODE_SANDBOX_MODE", "plain", "sandbox_mode", "plain"),
    ("RLVR_CODE_ZYGOTE", "false", "zygote", False),
]


@pytest.mark.parametrize(("variable", "value", "field", "read"), VARIABLES, ids=[v[0] for v in VARIABLES])
def test_code_variables_keep_their_names_in_the_one_settings(monkeypatch, variable, value, field, read) -> None:
    monkeypatch.setenv(variable, value)
    assert getattr(Settings().code, field) == read
    assert variable in variable_names()


def test_a_bad_code_variable_fails_the_settings_naming_it(monkeypatch) -> None:
    monkeypatch.setenv("RLVR_CODE_SANDBOX_MODE", "none-at-all")
    with pytest.raises(ValueError, match="sandbox_mode"):
        Settings()


def probe_through_a_worker(sandbox: SandboxSettings | None) -> str | None:
    async def run() -> str | None:
        pool = WorkerPool({"sandbox-settings-probe": PROBE}, size=1, item_deadline_s=30, spares=0, sandbox=sandbox)
        await pool.start()
        try:
            (outcome,) = await pool.score("sandbox-settings-probe", [("x", "1")], deadline_s=60)
            return outcome.answer
        finally:
            await pool.close()

    return asyncio.run(run())


def test_workers_get_the_settings_handed_down_not_the_environment() -> None:
    # the environment (tests/conftest.py sets RLVR_CODE_UID_BASE) says otherwise: what is handed down wins
    handed = SandboxSettings(uid_base=77777, sandbox_mode="plain")
    assert os.environ["RLVR_CODE_UID_BASE"] != "77777"
    assert probe_through_a_worker(handed) == "plain 77777"


def test_a_worker_given_none_reads_the_variables_itself() -> None:
    assert probe_through_a_worker(None) == f"{SandboxSettings().sandbox_mode} {os.environ['RLVR_CODE_UID_BASE']}"
