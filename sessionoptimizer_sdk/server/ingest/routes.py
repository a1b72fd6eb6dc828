"""``POST /v1/traces``, ``/v1/logs`` and ``/v1/metrics``: answers as the OTLP/HTTP specification says."""

from __future__ import annotations

import json
from typing import Any

from anyio import to_thread
from google.protobuf.json_format import MessageToJson
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .batch import Batch
from .decode import PROTOBUF, decode_message, media_type, read_body
from .errors import IngestRefused
from .logs import batch_from_logs
from .metrics import MetricsCount, count_metrics
from .service import IngestService
from .spans import batch_from_traces
from .tokens import TokenInfo

__all__ = ["ingest_routes", "refused_response"]


def refused_response(exc: IngestRefused) -> Response:
    """The JSON error body of a refused request (with ``Retry-After`` when the client should retry)."""
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    body = json.dumps({"error": exc.code, "detail": exc.detail})
    return Response(body, exc.status, headers=headers, media_type="application/json")


def _answer(message: Message, media: str) -> Response:
    if media == PROTOBUF:
        return Response(message.SerializeToString(), 200, media_type=PROTOBUF)
    return Response(MessageToJson(message, indent=None), 200, media_type="application/json")


def _all_rejected(batch: Batch) -> IngestRefused:
    reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(batch.reasons.items()))
    if set(batch.reasons) == {"forbidden_agent"}:
        return IngestRefused(403, "forbidden_agent", f"this token cannot write these sessions ({reasons})")
    code = next(iter(batch.reasons)) if len(batch.reasons) == 1 else "rejected"
    return IngestRefused(400, code, f"every item was rejected: {reasons}")


async def _read(request: Request, service: IngestService) -> tuple[str, TokenInfo | None, bytes]:
    """The media type, the token presented and the decompressed body, each checked (IngestRefused)."""
    media = media_type(request.headers.get("content-type"))
    token = service.authorise(request.headers.get("authorization"))
    body = await read_body(
        request.stream(),
        request.headers.get("content-length"),
        request.headers.get("content-encoding"),
        service.config.limits,
    )
    return media, token, body


def _decode_batch(body: bytes, media: str, signal: str, max_items: int) -> Batch:
    """The batch of a traces or logs request body (CPU-bound: run off the event loop)."""
    if signal == "traces":
        return batch_from_traces(decode_message(body, media, ExportTraceServiceRequest(), max_items))
    return batch_from_logs(decode_message(body, media, ExportLogsServiceRequest(), max_items))


def _decode_metrics(body: bytes, media: str, max_items: int) -> MetricsCount:
    """The counted data points of a metrics request body (CPU-bound: run off the event loop)."""
    return count_metrics(decode_message(body, media, ExportMetricsServiceRequest(), max_items))


async def _handle(request: Request, signal: str) -> Response:
    service: IngestService = request.app.state.ingest
    try:
        media, token, body = await _read(request, service)
        max_items = service.config.limits.max_items
        batch = await to_thread.run_sync(_decode_batch, body, media, signal, max_items)
        del body  # the decoded batch replaces it: do not hold both while the write waits for a slot
        response: Any
        if signal == "traces":
            response = ExportTraceServiceResponse()
            partial = response.partial_success
            count_field = "rejected_spans"
        else:
            response = ExportLogsServiceResponse()
            partial = response.partial_success
            count_field = "rejected_log_records"
        if batch.rejected and not batch.accepted:
            raise _all_rejected(batch)
        peer = request.client.host if request.client else None
        for seen in batch.seen.values():  # no host.name in the resource: name the machine by its address
            seen.host = seen.host or peer
        await service.write(batch, token)
        if batch.rejected and not batch.accepted:  # the token's agent owned none of the sessions
            raise _all_rejected(batch)
    except IngestRefused as exc:
        return refused_response(exc)
    if batch.rejected:
        setattr(partial, count_field, batch.rejected)
        partial.error_message = ", ".join(f"{n} {reason}" for reason, n in sorted(batch.reasons.items()))
    return _answer(response, media)


async def _metrics(request: Request) -> Response:
    """Metrics are validated, authorised and counted; nothing is stored (docs/decisions/otlp-metrics.md)."""
    service: IngestService = request.app.state.ingest
    try:
        media, token, body = await _read(request, service)
        max_items = service.config.limits.max_items
        count = await to_thread.run_sync(_decode_metrics, body, media, max_items)
        if token is not None and count.agents - {token.agent}:
            others = ", ".join(sorted(count.agents - {token.agent}))
            raise IngestRefused(
                403, "forbidden_agent", f"this token cannot write metrics of agent(s) {others}"
            )
    except IngestRefused as exc:
        return refused_response(exc)
    service.acknowledge_metrics(count)
    return _answer(ExportMetricsServiceResponse(), media)


async def _traces(request: Request) -> Response:
    return await _handle(request, "traces")


async def _logs(request: Request) -> Response:
    return await _handle(request, "logs")


def ingest_routes() -> list[Route]:
    """The OTLP/HTTP receiver routes (the app must set ``app.state.ingest``)."""
    return [
        Route("/v1/traces", _traces, methods=["POST"]),
        Route("/v1/logs", _logs, methods=["POST"]),
        Route("/v1/metrics", _metrics, methods=["POST"]),
    ]
