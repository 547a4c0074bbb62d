"""Service configuration, declared once: every field reads from an `RLVR_`-prefixed variable.

RLVR_API_TOKEN=secret RLVR_VERIFIERS=gsm8k,math rlvr serve
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can set; tests build apps with their own instance."""

    model_config = SettingsConfigDict(env_prefix="RLVR_", env_file=None, extra="ignore")

    host: str = Field(default="127.0.0.1", description="Interface `rlvr serve` binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `rlvr serve` binds.")
    api_token: SecretStr | None = Field(
        default=None, description="When set, /score requires `Authorization: Bearer <token>`."
    )
    verifiers: Annotated[list[str], NoDecode] = Field(
        default=["gsm8k"], description="Verifiers to host: registered names or `module:Class` paths."
    )
    max_body_bytes: int = Field(default=32 * 1024 * 1024, gt=0, description="Larger bodies get 413.")
    max_items: int = Field(default=4096, gt=0, description="Requests with more items get 413.")
    max_concurrent_requests: int = Field(
        default=64, gt=0, description="Scoring requests in flight before new ones get 429."
    )
    retry_after_s: int = Field(default=1, ge=0, description="Retry-After sent with 429.")
    item_deadline_s: float = Field(
        default=5.0, gt=0, description="Per-item deadline in the worker pool; a stuck worker is killed."
    )
    workers: int = Field(default=2, ge=1, description="Worker processes for `process`-isolated verifiers.")
    http_workers: int = Field(default=1, ge=1, description="uvicorn processes started by `rlvr serve`.")
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("verifiers", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        if isinstance(value, str):
            value = [name.strip() for name in value.split(",") if name.strip()]
        if isinstance(value, list) and not value:
            raise ValueError("host at least one verifier, e.g. RLVR_VERIFIERS=gsm8k")
        return value


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    return Settings()
