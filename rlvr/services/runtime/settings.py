"""Service configuration, declared once: every field reads from an `RLVR_`-prefixed variable.

RLVR_API_TOKEN=secret RLVR_VERIFIERS=gsm8k,math rlvr serve

Memory is bounded by design: the bodies of admitted requests total at most `max_inflight_bytes`,
and each admitted byte costs about three at its peak (the body, the strings parsed out of it,
the verifier's slices and the response), so the defaults need about 3 x 64 MiB = 192 MiB plus
the server and its pool (2 workers + 2 spares, 40 to 90 MiB each), plus the verdict cache when turned
on (RLVR_VERDICT_CACHE_BYTES, its entries' own bytes counted): inside the 512 Mi that k8s
gives the gsm8k service (429 MiB measured at the worst admitted load, benchmarks/bench_hardening.py)
and the 1 Gi of the math service. `tests/test_hardening.py` checks the peak against 512 MiB.

Shutdown is bounded by design; on SIGTERM (uvicorn stops accepting at once):

    requests in flight score until SIGTERM + shutdown_scoring_s
        = shutdown_grace_s - SHUTDOWN_ANSWER_RESERVE_S   (18 s of the default 20 s; at once below 2 s)
      whatever their own deadline (request_deadline_s 30 s, up to max_request_deadline_s 300 s): the
      items not judged by then come back `timeout` (flag `shutting_down`), a body still arriving gets 503;
    every answer is sent by SIGTERM + shutdown_grace_s (uvicorn cancels what is left then: none is);
    the pool is reaped in at most SHUTDOWN_REAP_S more (a worker gets 2 s to exit, then SIGKILL);
    so the pod's terminationGracePeriodSeconds (k8s/base) and compose's stop_grace_period must be at
    least shutdown_grace_s + SHUTDOWN_REAP_S = 30 s: tests/test_deploy.py checks every manifest.

Connections are bounded too: one that has not sent a whole request head within `header_timeout_s`
is closed, at most 16 KiB of an unfinished head is buffered (h11), and at most `max_idle_connections`
connections wait for a request head at once (the oldest is closed first), fewer when the process's
open-file limit is lower: see `rlvr/services/runtime/connections.py`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from rlvr.services.sandbox.settings import SandboxSettings

SHUTDOWN_ANSWER_RESERVE_S = 2.0  # of the grace, kept for encoding and sending the answers once scoring stops
SHUTDOWN_REAP_S = 10  # after the grace: lifespan shutdown, the pool's threads (1 s) and workers (2 s, then kill)


class Settings(BaseSettings):
    """Everything an operator can set; tests build apps with their own instance."""

    model_config = SettingsConfigDict(env_prefix="RLVR_", env_file=None, extra="ignore")

    host: str = Field(default="127.0.0.1", description="Interface `rlvr serve` binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `rlvr serve` binds.")
    api_token: SecretStr | None = Field(
        default=None, description="When set, /score requires `Authorization: Bearer <token>`."
    )
    verifiers: Annotated[list[str], NoDecode] = Field(
        default=["gsm8k"],
        description="Verifiers to host: registered names, `module:Class` paths, or `name=URL` for the verifier "
        "`name` of another rlvr service (a front door).",
    )
    upstream_token: SecretStr | None = Field(
        default=None, description="Bearer token sent to the services of `name=URL` verifiers (never logged)."
    )
    default_verifier: str | None = Field(
        default=None,
        description="The verifier of items and requests that name none, when several are hosted "
        "(else such a request is a 422).",
    )
    max_body_bytes: int = Field(default=32 * 1024 * 1024, gt=0, description="Larger bodies get 413.")
    max_inflight_bytes: int = Field(
        default=64 * 1024 * 1024,
        gt=0,
        description="Bodies of the requests being read or scored total at most this; more waits as 429.",
    )
    max_items: int = Field(default=4096, gt=0, description="Requests with more items get 413.")
    body_timeout_s: float = Field(
        default=30.0, gt=0, description="A body not fully received within this gets 408 (slow or stalled clients)."
    )
    max_concurrent_requests: int = Field(
        default=64, gt=0, description="Scoring requests in flight before new ones get 429."
    )
    retry_after_s: int = Field(default=1, ge=0, description="Retry-After sent with 429.")
    item_deadline_s: float = Field(
        default=5.0, gt=0, description="Per-item deadline in the worker pool; a stuck worker is killed."
    )
    request_deadline_s: float = Field(
        default=30.0,
        gt=0,
        description="Time budget of a request without its own `deadline_s`; items not judged by then are `timeout`.",
    )
    max_request_deadline_s: float = Field(
        default=300.0, gt=0, description="A request's own `deadline_s` is capped at this."
    )
    workers: int = Field(default=2, ge=1, description="Worker processes for `process`-isolated verifiers.")
    inline_item_max_chars: int = Field(
        default=256 * 1024,
        gt=0,
        description="Items of an inline verifier longer than this (completion + reference) are scored in "
        "the worker pool, so that no long scan holds the event loop.",
    )
    inline_loop_max_chars: int = Field(
        default=256 * 1024,
        ge=0,
        description="A batch of a linear inline verifier (gsm8k) with at most this many characters (completions + "
        "references) is scored on the event loop, without the thread hand-off; 0: always in the thread.",
    )
    spare_workers: int | None = Field(
        default=None,
        ge=0,
        description="Warm worker processes kept to replace killed ones at once (default: as many as `workers`).",
    )
    shutdown_grace_s: int = Field(
        default=20,
        gt=0,
        description="On SIGTERM, in-flight requests are answered within this (scoring stops 2 s before it; "
        "k8s gives 30 s before SIGKILL).",
    )
    header_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="A connection that has not sent a whole request head this long after it opened (or after "
        "its previous answer) is closed.",
    )
    max_idle_connections: int = Field(
        default=1024,
        gt=0,
        description="Connections waiting for a request head, per process; the oldest is closed past it (fewer "
        "when the open-file limit is lower).",
    )
    backlog: int = Field(
        default=128,
        gt=0,
        description="Connections the kernel queues for the server, and the most it accepts at once.",
    )
    http_workers: int = Field(default=1, ge=1, description="uvicorn processes started by `rlvr serve`.")
    nemo_gym_verifier: str | None = Field(
        default=None, description="Verifier behind NeMo Gym's `/verify` (default: the only one hosted)."
    )
    nemo_gym_reference_field: str = Field(
        default="expected_answer", description="The NeMo Gym task field that holds the reference."
    )
    verdict_cache_bytes: int = Field(
        default=0,  # off: no exact repeat in GRPO-like sampling (benchmarks/bench_cache.py)
        ge=0,
        description="Bytes of the per-process cache of reproducible verdicts (docs/operations.md); 0 turns it off.",
    )
    expected_sandbox_layers: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Sandbox layers a sandboxed verifier must have (e.g. bwrap,fs,netns,pidns,rlimits,seccomp,"
        "tmpfs,uid); each one missing reads 0 in `rlvr_sandbox_layer` (alert RlvrSandboxLayerMissing).",
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Nested: its variables keep their own prefix, RLVR_CODE_* (rlvr/services/sandbox/settings.py).
    code: SandboxSettings = Field(
        default_factory=SandboxSettings,
        description="The code sandbox's settings (RLVR_CODE_UID_BASE, _UID_SLOTS, _SLOT_DIR, _SANDBOX_MODE, "
        "_ZYGOTE), handed down to the sandbox in this process and in every pool worker.",
    )

    @field_validator("api_token", "upstream_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        # `RLVR_API_TOKEN=` (compose's `${RLVR_API_TOKEN:-}`) means no token, as the trainer reads it.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _budget_fits_a_body(self) -> Settings:
        if self.max_inflight_bytes < self.max_body_bytes:
            raise ValueError(
                f"RLVR_MAX_INFLIGHT_BYTES ({self.max_inflight_bytes}) must be at least RLVR_MAX_BODY_BYTES "
                f"({self.max_body_bytes}), or a body of the maximum size could never be admitted"
            )
        return self

    @property
    def spares(self) -> int:
        return self.workers if self.spare_workers is None else self.spare_workers

    @field_validator("expected_sandbox_layers", mode="before")
    @classmethod
    def _split_layers(cls, value: object) -> object:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @property
    def shutdown_scoring_s(self) -> float:
        """How long after SIGTERM requests in flight may still score (see the module docstring).

        >>> Settings(shutdown_grace_s=20).shutdown_scoring_s
        18.0
        """
        return max(self.shutdown_grace_s - SHUTDOWN_ANSWER_RESERVE_S, 0.0)

    @field_validator("verifiers", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        if isinstance(value, str):
            value = [name.strip() for name in value.split(",") if name.strip()]
        if isinstance(value, list) and not value:
            raise ValueError("host at least one verifier, e.g. RLVR_VERIFIERS=gsm8k")
        return value


NESTED: dict[str, type[BaseSettings]] = {"code": SandboxSettings}  # fields read under their own prefix


def variable_names() -> list[str]:
    """Every environment variable the service reads.

    >>> [n for n in variable_names() if n.startswith("RLVR_CODE_")][:2]
    ['RLVR_CODE_UID_BASE', 'RLVR_CODE_UID_SLOTS']
    """
    names = [f"RLVR_{name.upper()}" for name in Settings.model_fields if name not in NESTED]
    for model in NESTED.values():
        names += [f"{model.model_config.get('env_prefix', '')}{name.upper()}" for name in model.model_fields]
    return names


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    return Settings()
