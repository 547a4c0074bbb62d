"""The caller's environment, read in this one place: `RLVR_`-prefixed variables of the client side.

The service has its `Settings`; a trainer or an integration runs in someone else's process, where
these few variables are read when a value was not given in code or in a recipe.
"""

from __future__ import annotations

import logging
import os
import warnings

log = logging.getLogger(__name__)

# The variables the client side reads (a recipe's `token_env` may name another one for its token).
VARIABLES = {
    "RLVR_REWARD_URL": "`rlvr train`: the URL of the recipe's first reward endpoint",
    "RLVR_API_TOKEN": "the bearer token a recipe's endpoints send (their default `token_env`)",
    "RLVR_URL": "rlvr.integrations.verl: the reward service, when reward_kwargs has no url",
    "RLVR_VERIFIER": "rlvr.integrations.verl: the verifier, when reward_kwargs has none",
}
DEPRECATED = {"RLVR_REWARD_URL": "REWARD_URL"}  # new name -> old name, still read with a warning


def env_value(name: str) -> str | None:
    """The variable's value, or None when unset or empty (`RLVR_API_TOKEN=` means no token)."""
    value = os.environ.get(name)
    if not value and name in DEPRECATED:
        value = os.environ.get(DEPRECATED[name])
        if value:
            warnings.warn(f"{DEPRECATED[name]} is deprecated: set {name} instead", FutureWarning, stacklevel=2)
    return value or None
