"""Claude Code's OTLP metrics, recorded through the real OpenTelemetry SDK (schema: Claude Code monitoring docs).

Schema followed: code.claude.com/docs/en/monitoring-usage for Claude Code 2.0.x: meter ``com.anthropic.claude_code``,
counters ``claude_code.session.count``, ``claude_code.token.usage`` (``type`` input/output/cacheRead/cacheCreation,
``model``), ``claude_code.cost.usage`` (USD, ``model``), ``claude_code.lines_of_code.count`` (``type``
added/removed), ``claude_code.active_time.total`` (s, ``type`` user/cli) and ``claude_code.code_edit_tool.decision``
(``tool``, ``decision``, ``language``); every point carries ``session.id``, ``app.version``,
``user.account_uuid``; delta temporality (Claude Code's default). Run as a script, it exports once to
``argv[1]`` with the real ``OTLPMetricExporter`` and prints ``SUCCESS`` or ``FAILURE``.
"""

from __future__ import annotations

import sys
from typing import Any

SESSION = "8b1f0c2e-5a44-4d7e-9f0e-3c2b1a0d9e8f"
MODEL = "claude-sonnet-4-5-20250929"
#: (metric, unit, attribute sets with their values): one data point per attribute set.
RECORDINGS: list[tuple[str, str, list[tuple[dict[str, str], float]]]] = [
    ("claude_code.session.count", "count", [({}, 1)]),
    (
        "claude_code.token.usage",
        "tokens",
        [
            ({"type": "input", "model": MODEL}, 1_200),
            ({"type": "output", "model": MODEL}, 640),
            ({"type": "cacheRead", "model": MODEL}, 48_000),
            ({"type": "cacheCreation", "model": MODEL}, 5_300),
        ],
    ),
    ("claude_code.cost.usage", "USD", [({"model": MODEL}, 0.0731)]),
    ("claude_code.lines_of_code.count", "count", [({"type": "added"}, 42), ({"type": "removed"}, 7)]),
    ("claude_code.active_time.total", "s", [({"type": "user"}, 31.5), ({"type": "cli"}, 88.0)]),
    (
        "claude_code.code_edit_tool.decision",
        "count",
        [({"tool": "Edit", "decision": "accept", "language": "Python"}, 3)],
    ),
    ("claude_code.commit.count", "count", [({}, 1)]),
]


def record(provider: Any) -> None:
    """Record the session's metrics on ``provider`` as Claude Code would."""
    meter = provider.get_meter("com.anthropic.claude_code", "2.0.14")
    standard = {"session.id": SESSION, "app.version": "2.0.14", "user.account_uuid": "acct-1"}
    for name, unit, points in RECORDINGS:
        counter = meter.create_counter(name, unit=unit)
        for attrs, value in points:
            counter.add(value, {**standard, **attrs})


def resource(agent: str, host: str = "clio-laptop") -> Any:
    """The resource Claude Code sends with ``OTEL_RESOURCE_ATTRIBUTES`` set by ``connect``."""
    from opentelemetry.sdk.resources import Resource

    return Resource.create(
        {"service.name": "claude-code", "sessionoptimizer.agent": agent, "host.name": host}
    )


def main(endpoint: str, agent: str, headers: str) -> None:
    """Export one collection to ``endpoint`` with the real OTLP/HTTP metrics exporter; print the result."""
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import Counter, MeterProvider
    from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader

    reader = InMemoryMetricReader(preferred_temporality={Counter: AggregationTemporality.DELTA})
    provider = MeterProvider(metric_readers=[reader], resource=resource(agent))
    record(provider)
    data = reader.get_metrics_data()
    assert data is not None
    pairs = dict(p.split("=", 1) for p in headers.split(",") if p)
    exporter = OTLPMetricExporter(endpoint=endpoint, headers=pairs, timeout=10)
    result = exporter.export(data)
    print(result.name)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
