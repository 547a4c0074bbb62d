"""The client layer: everything a caller of a reward service needs, on pydantic and httpx alone.

    from rlvr.client import Endpoint, RewardClient
    client = RewardClient.for_endpoint(Endpoint("gsm8k", "http://127.0.0.1:8000"))
    results = await client.score([ScoreItem(completion="... #### 18", reference="18")])

One endpoint type, one retry/backoff/deadline loop over transports chosen by URL scheme
(`http://`/`https://`, `sagemaker://` through boto3, `inprocess://` for verifiers in this process),
and the masking rules. The trainer, the integrations and `rlvr.sagemaker` sit above it; it imports
none of them, nor the server runtime, nor torch. The wire protocol is docs/protocol.md.
"""

from rlvr.client.client import RewardClient
from rlvr.client.endpoint import Endpoint
from rlvr.client.errors import RewardServiceError
from rlvr.client.masking import completion_text

__all__ = ["Endpoint", "RewardClient", "RewardServiceError", "completion_text"]
