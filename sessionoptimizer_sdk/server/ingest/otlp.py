"""OTLP protobuf values as plain Python: attributes, resources and the origin of a batch."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

__all__ = ["Origin", "any_value", "attributes", "origin_of"]

AGENT_ATTRIBUTE = "sessionoptimizer.agent"
_MAX_DEPTH = 8


def any_value(value: AnyValue, depth: int = 0) -> Any:
    """The Python value of an OTLP ``AnyValue``; None for an empty or unknown type (the key is dropped)."""
    which = value.WhichOneof("value")
    if which == "string_value":
        return value.string_value
    if which == "int_value":
        return value.int_value
    if which == "double_value":
        return value.double_value
    if which == "bool_value":
        return value.bool_value
    if which == "bytes_value":
        return value.bytes_value.hex()
    if depth >= _MAX_DEPTH:
        return None
    if which == "array_value":
        items = (any_value(v, depth + 1) for v in value.array_value.values)
        return tuple(v for v in items if v is not None)
    if which == "kvlist_value":  # kept as one JSON string: span attributes are flat
        return json.dumps(attributes(value.kvlist_value.values, depth + 1), default=str)
    return None


def attributes(pairs: Iterable[KeyValue], depth: int = 0) -> dict[str, Any]:
    """A dict of the attributes with a known value type."""
    out: dict[str, Any] = {}
    for pair in pairs:
        raw = pair.value
        if raw.WhichOneof("value") == "string_value":  # the common case, inlined (ingest hot path)
            out[pair.key] = raw.string_value
            continue
        value = any_value(raw, depth)
        if value is not None and pair.key:
            out[pair.key] = value
    return out


@dataclass(frozen=True, slots=True)
class Origin:
    """Who sent a group of spans or logs: the agent it claims (may be None), its machine and source."""

    agent: str | None
    host: str | None
    service: str | None


def origin_of(resource_attrs: dict[str, Any]) -> Origin:
    """The origin named by resource attributes (``sessionoptimizer.agent``, else a real ``service.name``)."""
    service = resource_attrs.get("service.name")
    service = service if isinstance(service, str) and service else None
    agent = resource_attrs.get(AGENT_ATTRIBUTE)
    if not isinstance(agent, str) or not agent.strip():
        agent = None if service is None or service.startswith("unknown_service") else service
    host = resource_attrs.get("host.name")
    return Origin(agent.strip()[:200] if agent else None, host if isinstance(host, str) else None, service)
