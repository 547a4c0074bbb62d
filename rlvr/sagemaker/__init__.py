"""Amazon SageMaker: the training-container entry, the verifier as an endpoint, and the job launcher.

Everything that talks to AWS needs the `aws` extra (boto3); it is imported only where it is used.
"""

from __future__ import annotations

from typing import Any

INSTALL_HINT = "the SageMaker parts need boto3: pip install 'rlvr[aws]'"


def import_boto3() -> Any:
    """boto3, or an ImportError that says how to install the extra."""
    try:
        import boto3
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    return boto3
