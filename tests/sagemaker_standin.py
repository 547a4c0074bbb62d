"""A local stand-in for SageMaker Runtime's InvokeEndpoint, for real boto3 clients in the tests.

It serves `POST /endpoints/{name}/invocations` as botocore sends it, refuses requests not
SigV4-signed for `sagemaker` (the signature itself is not checked), and forwards the body to a
real verifier's `/invocations`. A container 4xx/5xx comes back as SageMaker relays it: 424
`ModelError` with `OriginalStatusCode`. Queued faults answer in the rest-json error shape
botocore parses (`x-amzn-ErrorType` header, `{"message": ...}` body).
"""

from __future__ import annotations

import json
import re
from collections import deque
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response

SIGNED = re.compile(r"AWS4-HMAC-SHA256 Credential=\w+/\d{8}/[\w-]+/sagemaker/aws4_request")
MAX_BODY = 6 * 1024 * 1024
FAULTS: dict[str, tuple[int, str, str, dict[str, Any]]] = {
    "throttling": (400, "ThrottlingException", "Rate exceeded", {}),
    "container_429": (424, "ModelError", "Received client error (429) from primary", {"OriginalStatusCode": 429}),
    "container_503": (424, "ModelError", "Received server error (503) from primary", {"OriginalStatusCode": 503}),
    "unavailable": (503, "ServiceUnavailable", "Service unavailable", {}),
}


def error(status: int, code: str, message: str, extra: dict[str, Any] | None = None) -> Response:
    body = json.dumps({"message": message, **(extra or {})})
    headers = {"x-amzn-ErrorType": f"{code}:http://internal.amazon.com/"}
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def standin_app(upstream: str) -> FastAPI:
    """InvokeEndpoint in front of the verifier at `upstream`; `app.state.faults` queues fault names."""
    app = FastAPI()
    app.state.faults = deque()
    app.state.calls = []  # one entry per request: endpoint name, body size, item count
    client = httpx.AsyncClient(base_url=upstream, timeout=60)

    @app.post("/endpoints/{name}/invocations")
    async def invoke(name: str, request: Request) -> Response:
        body = await request.body()
        items = json.loads(body).get("items", []) if body else []
        app.state.calls.append({"name": name, "bytes": len(body), "items": len(items)})
        if not SIGNED.match(request.headers.get("authorization", "")):
            return error(403, "InvalidSignatureException", "request not SigV4-signed for 'sagemaker'")
        if len(body) > MAX_BODY:
            return error(413, "ValidationError", "Request payload too large")
        if app.state.faults:
            return error(*FAULTS[app.state.faults.popleft()])
        forwarded = {
            k: v for k, v in request.headers.items() if k in ("content-type", "x-amzn-sagemaker-custom-attributes")
        }
        reply = await client.post("/invocations", content=body, headers=forwarded)
        if reply.status_code != 200:
            text = reply.text
            return error(
                424,
                "ModelError",
                f'Received client error ({reply.status_code}) from primary with message "{text}"',
                {"OriginalStatusCode": reply.status_code, "OriginalMessage": text, "LogStreamArn": "arn:aws:logs:x"},
            )
        if len(reply.content) > MAX_BODY:
            return error(413, "ValidationError", "Response payload too large")
        headers = {"x-Amzn-Invoked-Production-Variant": "AllTraffic"}
        return Response(reply.content, media_type=reply.headers.get("content-type"), headers=headers)

    return app
