"""OTLP metrics (``POST /v1/metrics``): validated, authorised and counted, not stored.

Claude Code (``OTEL_METRICS_EXPORTER=otlp``) exports ``claude_code.*`` counters next to its log events; the log
events carry the same token and cost facts per API request, with ids that make retries idempotent, so the
metrics are acknowledged and counted (``docs/decisions/otlp-metrics.md``).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric

from .otlp import attributes, origin_of

__all__ = ["MetricsCount", "MetricsTally", "count_metrics"]

#: Metric names are client input: the tally keeps at most this many (longer names cut), the rest as "other".
MAX_NAMES = 1_000
MAX_NAME_CHARS = 200
OTHER = "other"


@dataclass(frozen=True, slots=True)
class MetricsCount:
    """What one metrics export carried: data points per metric name, and the agents its resources claim."""

    points: dict[str, int]
    agents: frozenset[str]

    @property
    def total(self) -> int:
        """All data points of the request."""
        return sum(self.points.values())


def _points(metric: Metric) -> int:
    """The number of data points of one metric, whatever its type (0 for a metric without data)."""
    kind = metric.WhichOneof("data")
    if kind is None:
        return 0
    return len(getattr(metric, kind).data_points)


def count_metrics(request: ExportMetricsServiceRequest) -> MetricsCount:
    """Count the data points of every metric in a metrics export request."""
    points: Counter[str] = Counter()
    agents: set[str] = set()
    for resource_metrics in request.resource_metrics:
        origin = origin_of(attributes(resource_metrics.resource.attributes))
        if origin.agent is not None:
            agents.add(origin.agent)
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                points[(metric.name or "unnamed")[:MAX_NAME_CHARS]] += _points(metric)
    return MetricsCount(dict(points), frozenset(agents))


@dataclass(slots=True)
class MetricsTally:
    """Data points acknowledged by this server process since it started, per metric name (thread-safe)."""

    points: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, count: MetricsCount) -> list[str]:
        """Add one acknowledged request's counts; return the names seen for the first time."""
        new: list[str] = []
        with self._lock:
            for name, n in count.points.items():
                if name not in self.points:
                    if len(self.points) >= MAX_NAMES:
                        name = OTHER  # bounded memory whatever names clients send
                    else:
                        new.append(name)
                self.points[name] += n
        return new

    def snapshot(self) -> dict[str, int]:
        """A copy of the counts per metric name."""
        with self._lock:
            return dict(self.points)
