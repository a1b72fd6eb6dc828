"""Report renderers: ``render(report, format)`` for json, markdown, html and text (the terminal)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.errors import InvalidFormat
from sessionoptimizer_sdk.reporting.formats.html import render_html
from sessionoptimizer_sdk.reporting.formats.json import render_json
from sessionoptimizer_sdk.reporting.formats.markdown import render_markdown
from sessionoptimizer_sdk.reporting.formats.text import render_text

__all__ = ["FORMATS", "render"]

#: Renderer per format name.
FORMATS: Mapping[str, Callable[[OptimizationReport], str]] = MappingProxyType(
    {"json": render_json, "markdown": render_markdown, "html": render_html, "text": render_text}
)
_ALIASES = {"md": "markdown", "htm": "html", "txt": "text"}


def render(report: OptimizationReport, format: str) -> str:
    """The report as ``format`` ("json" | "markdown" | "html" | "text"); InvalidFormat names the valid ones."""
    key = format.strip().lower() if isinstance(format, str) else ""
    renderer = FORMATS.get(_ALIASES.get(key, key))
    if renderer is None:
        raise InvalidFormat(f"unknown report format {format!r}; valid formats: {', '.join(FORMATS)}")
    return renderer(report)
