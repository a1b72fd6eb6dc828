"""Finding or making the TracerProvider: attach to the application's, never replace it.

When the application configured an SDK TracerProvider (globally, or passed explicitly) our processor is added
to it, so our spans flow to whatever exporters the application set up. Otherwise we build a private provider
(never installed globally) that exports over OTLP/HTTP when the standard ``OTEL_*`` variables ask for it.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.id_generator import IdGenerator

from .._internal.log import get_logger
from .._internal.randomids import new_span_id, new_trace_id

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

__all__ = ["PrivateIdGenerator", "exporter_from_env", "resolve_provider", "shutdown_bounded"]

_log = get_logger("sessionoptimizer.provider")
#: The exporters of the private providers we built (so exit can stop their retries).
_exporters: weakref.WeakKeyDictionary[TracerProvider, SpanExporter] = weakref.WeakKeyDictionary()


class PrivateIdGenerator(IdGenerator):
    """The private provider's ids: time-ordered span ids, random trace ids, both immune to ``random.seed``."""

    def generate_span_id(self) -> int:
        """A span id from :func:`new_span_id`."""
        return new_span_id()

    def generate_trace_id(self) -> int:
        """A trace id from :func:`new_trace_id`."""
        return new_trace_id()


def exporter_from_env() -> SpanExporter | None:
    """The exporter the standard OTel environment variables ask for, or None (no export)."""
    names = [n.strip().lower() for n in os.environ.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    endpoint_set = bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )
    if not names:
        names = ["otlp"] if endpoint_set else []
    if "none" in names or not names:
        return None
    if "console" in names:
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if "otlp" in names:
        protocol = os.environ.get(
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        )
        if protocol not in ("http/protobuf", ""):
            _log.warning("only OTLP over HTTP/protobuf is bundled; using it", requested_protocol=protocol)
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    _log.warning("unsupported OTEL_TRACES_EXPORTER; spans are stored but not exported", value=",".join(names))
    return None


def resolve_provider(
    explicit: TracerProvider | None, processor: SpanProcessor
) -> tuple[TracerProvider, bool]:
    """Attach ``processor`` to the application's SDK provider, or to a new private one; (provider, owned)."""
    candidate = explicit if explicit is not None else trace.get_tracer_provider()
    if isinstance(candidate, TracerProvider):
        candidate.add_span_processor(processor)
        return candidate, False
    provider = TracerProvider(
        resource=Resource.create(), shutdown_on_exit=False, id_generator=PrivateIdGenerator()
    )
    provider.add_span_processor(processor)
    exporter = exporter_from_env()
    if exporter is not None:
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider.add_span_processor(BatchSpanProcessor(exporter))
        _exporters[provider] = exporter
    return provider, True


def _stop_retries(exporter: SpanExporter) -> None:
    """Let each pending batch have one export attempt, without backoff retries (the OTLP client's own switch)."""
    event = getattr(getattr(exporter, "_client", None), "_shutdown_event", None)
    if isinstance(event, threading.Event):
        event.set()


def shutdown_bounded(provider: TracerProvider, timeout: float) -> None:
    """Shut a private provider down, returning as soon as its exporter did (bounded by ``timeout``).

    At exit an unreachable collector must not hold the process: pending batches get one attempt each, no
    retries, so a refused connection ends the shutdown at once instead of after the whole deadline.
    """
    exporter = _exporters.get(provider)
    if exporter is not None:
        _stop_retries(exporter)
    worker = threading.Thread(target=provider.shutdown, name="sessionoptimizer-otel-shutdown", daemon=True)
    worker.start()
    worker.join(timeout)
