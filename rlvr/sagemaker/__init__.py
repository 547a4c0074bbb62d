"""Amazon SageMaker: the training-container entry, the verifier as an endpoint, and the job launcher.

Everything that talks to AWS needs the `aws` extra (boto3); it is imported only where it is used.
"""

from __future__ import annotations

from rlvr.client.sagemaker import INSTALL_HINT, import_boto3

__all__ = ["INSTALL_HINT", "import_boto3"]
