"""The edge: every wire format the service speaks, one module each, registered here.

Each format is a parse/render pair over typed results (`wire.WireFormat`); all of them take the
same path (`handling.py`: token, limits, budget, disconnects, metrics) and share one translation of
"could not judge" for trainers that cannot drop a sample (`wire.unjudged_reward`). The formats and
what each answers are docs/protocol.md's.

- `v1`: `POST /score`, protocol v1.
- `sagemaker`: `GET /ping`, `POST /invocations` (protocol v1 under SageMaker's inference contract).
- `openrlhf`, `slime`, `nemo_gym`: those trainers' own reward protocols.
"""

from fastapi import APIRouter

from rlvr.services.runtime.edge import nemo_gym, openrlhf, sagemaker, slime, v1

ROUTERS: tuple[APIRouter, ...] = (v1.router, sagemaker.router, openrlhf.router, slime.router, nemo_gym.router)

__all__ = ["ROUTERS"]
