"""SDK diagnostics: structlog loggers that write through stdlib logging, never configured globally.

A library must not take over structlog's global configuration or print to the host's stdout, so each logger
wraps a stdlib ``logging`` logger under the ``sessionoptimizer`` namespace; the host decides where it goes.
structlog is imported on the first log call, not at import: most processes never log anything from us.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["get_logger"]


def _build(name: str) -> Any:
    import structlog

    return structlog.wrap_logger(
        logging.getLogger(name),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            structlog.processors.KeyValueRenderer(key_order=["event"], drop_missing=True),
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
    )


class _LazyLogger:
    """Stands in for a structlog BoundLogger and builds it on first use."""

    __slots__ = ("_logger", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: Any = None

    def __getattr__(self, attr: str) -> Any:
        if self._logger is None:
            try:
                self._logger = _build(self._name)
            except ImportError:  # at interpreter exit nothing can be imported any more: drop the line
                return _drop_line
        return getattr(self._logger, attr)


def _drop_line(*args: Any, **kwargs: Any) -> None:
    """Stands in for a log method when no logger can be built (the interpreter is shutting down)."""


def get_logger(name: str) -> Any:
    """Return a structlog logger bound to stdlib logger ``name`` (use a ``sessionoptimizer`` dotted name)."""
    if not name.startswith("sessionoptimizer"):
        name = f"sessionoptimizer.{name}"
    return _LazyLogger(name)
