"""The verifier runtime: hosts any set of verifiers behind protocol v1 (HTTP, auth, limits, metrics, pool)."""

from rlvr.services.runtime.app import create_app
from rlvr.services.runtime.settings import Settings, get_settings

__all__ = ["Settings", "create_app", "get_settings"]
