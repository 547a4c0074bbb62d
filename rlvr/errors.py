"""Mistakes a person makes and can fix: one exception family, raised where the mistake is found and
caught at the edge of the command line (`rlvr/cli.py`), which prints the message as one line and
exits with status 2; `rlvr --debug ...` prints the traceback too.

A message names what is wrong and the fix, e.g. "unknown verifier 'nosuch'; registered: code, gsm8k".
Library callers catch these as the standard types they also are (ValueError, LookupError, ...).
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake in what was asked for (a name, a file, a URL, a model, a setting); its message says the fix."""


class ConfigError(UserError, ValueError):
    """A recipe, option or setting that cannot work as given."""


class DataError(UserError, ValueError):
    """A data spec that names no data, or a file that is missing or of the wrong shape."""


class ModelNotFound(UserError, OSError):
    """A model that is neither a local checkpoint, a GGUF file, an embedded model nor a reachable hub id."""
