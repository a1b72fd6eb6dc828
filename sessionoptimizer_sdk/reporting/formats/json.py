"""The JSON report: the documented schema (docs/report-schema.md), strict JSON (no NaN)."""

from __future__ import annotations

import json

from sessionoptimizer_sdk.analysis.report import OptimizationReport

__all__ = ["render_json"]


def render_json(report: OptimizationReport) -> str:
    """The report's :meth:`~OptimizationReport.to_dict` as indented, strict JSON."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
