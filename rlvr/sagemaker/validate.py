"""Offline validation of AWS requests against botocore's own API models: what a `--dry-run` can prove.

Two passes over the operation's input shape: botocore's ParamValidator (what every client call
runs: required and unknown members, types, minimums) and a strict walk adding what it leaves out
(maximums, patterns, enums). Then a real client call whose sending is replaced by a `before-call`
hook (as botocore's Stubber does): the request is serialized, nothing leaves the machine.
"""

from __future__ import annotations

import functools
from typing import Any

from rlvr.sagemaker import import_boto3


class InvalidRequest(ValueError):
    """A request botocore's model refuses; the message lists every problem."""


def validate(service: str, operation: str, params: dict[str, Any]) -> None:
    """Raise InvalidRequest naming each problem of `params` for `service`'s `operation`."""
    from botocore.validate import ParamValidator

    shape = _operation(service, operation).input_shape
    report = ParamValidator().validate(params, shape)
    problems = report.generate_report().splitlines() if report.has_errors() else []
    problems += strict_errors(shape, params)
    if problems:
        raise InvalidRequest(f"{service} {operation}: " + "; ".join(p.strip() for p in problems))


def serialize_offline(service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """The request a client would send (method, url_path, headers, body), built by botocore, never sent."""
    from botocore import xform_name
    from botocore.awsrequest import AWSResponse

    client = import_boto3().client(
        service, region_name="us-east-1", aws_access_key_id="offline", aws_secret_access_key="offline"
    )
    captured: dict[str, Any] = {}

    def answer(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        captured.update(params)
        return AWSResponse("https://offline.invalid", 200, {}, None), {}

    service_id = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-call.{service_id}.{operation}", answer)
    getattr(client, xform_name(operation))(**params)
    return captured


@functools.cache
def _operation(service: str, operation: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service).operation_model(operation)


@functools.cache
def _pattern(pattern: str) -> Any:
    """A model pattern (Java syntax) compiled, or None when it cannot be (left unchecked, not guessed)."""
    try:
        import regex as engine  # \p{...} classes
    except ImportError:
        import re as engine
    pattern = pattern.replace(r"\z", r"\Z").replace(r"\uD800\uDC00-\uDBFF\uDFFF", r"\U00010000-\U0010FFFF")
    try:
        return engine.compile(pattern)
    except Exception:
        return None


def strict_errors(shape: Any, value: Any, path: str = "") -> list[str]:
    """Maximums, patterns (matched whole, as Java's String.matches) and enums, which ParamValidator skips."""
    errors: list[str] = []
    meta, kind = shape.metadata, shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for key, item in value.items():
            if key in shape.members:
                errors += strict_errors(shape.members[key], item, f"{path}.{key}" if path else key)
    elif kind == "list" and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            errors.append(f"{path}: {len(value)} entries, at most {meta['max']} allowed")
        for index, item in enumerate(value):
            errors += strict_errors(shape.member, item, f"{path}[{index}]")
    elif kind == "map" and isinstance(value, dict):
        if "max" in meta and len(value) > meta["max"]:
            errors.append(f"{path}: {len(value)} entries, at most {meta['max']} allowed")
        for key, item in value.items():
            errors += strict_errors(shape.key, key, f"{path} key {key!r}")
            errors += strict_errors(shape.value, item, f"{path}[{key!r}]")
    elif kind == "string" and isinstance(value, str):
        if "max" in meta and len(value) > meta["max"]:
            errors.append(f"{path}: {len(value)} characters, at most {meta['max']} allowed")
        if shape.enum and value not in shape.enum:
            errors.append(f"{path}: {value!r} is not one of the {len(shape.enum)} values the API accepts")
        compiled = _pattern(meta["pattern"]) if "pattern" in meta else None
        if compiled is not None and not compiled.fullmatch(value):
            errors.append(f"{path}: {value!r} does not match {meta['pattern']}")
    elif kind in ("integer", "long", "float", "double") and isinstance(value, int | float):
        errors += [f"{path}: {value} is over the maximum {meta['max']}"] if value > meta.get("max", value) else []
    return errors
