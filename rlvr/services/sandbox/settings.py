"""Settings of the sandbox (environment variables `RLVR_CODE_*`), one instance per process.

The service declares them once, as the field `code` of its `Settings` (rlvr/services/runtime/settings.py),
and hands that instance down with `configure`: in its own process and in every pool worker (spawned:
they get it pickled, never through the environment). A process that hands none down (the sandbox used
as a library, a test) gets `SandboxSettings()` from the same variables, on first use.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Mode = Literal["auto", "bwrap-root", "bwrap-userns", "plain"]


class SandboxSettings(BaseSettings):
    """Where the sandbox's uids and slot locks live, and which isolation mode to use."""

    model_config = SettingsConfigDict(env_prefix="RLVR_CODE_", extra="ignore")

    uid_base: int = Field(20000, ge=1000, description="First sandbox uid; worker slot N runs as uid_base + N.")
    uid_slots: int = Field(256, ge=1, le=65536, description="Number of uid slots (worker processes at once).")
    slot_dir: Path | None = Field(
        None, description="Directory of the slot lock files (default /run/rlvr-code-slots as root)."
    )
    sandbox_mode: Mode = Field(
        "auto", description="auto (best that works), bwrap-root, bwrap-userns or plain (uid+rlimits+seccomp)."
    )
    zygote: bool = Field(
        True, description="bwrap-root: fork each run from one long-lived sandbox per worker (else one per run)."
    )

    def slot_path(self) -> Path:
        if self.slot_dir is not None:
            return self.slot_dir
        if os.geteuid() == 0:
            return Path("/run/rlvr-code-slots")
        return Path(tempfile.gettempdir()) / f"rlvr-code-slots-{os.geteuid()}"


_settings: SandboxSettings | None = None


def configure(settings: SandboxSettings) -> None:
    """Hand the sandbox this process's settings; call it before the sandbox is first used."""
    global _settings
    _settings = settings


def sandbox_settings() -> SandboxSettings:
    """The settings handed down by `configure`, else (no service in this process) from the environment."""
    global _settings
    if _settings is None:
        _settings = SandboxSettings()
    return _settings
