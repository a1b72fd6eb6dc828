"""SDK diagnostics: structlog loggers that write through stdlib logging, never configured globally.

A library must not take over structlog's global configuration or print to the host's stdout, so each logger
wraps a stdlib ``logging`` logger under the ``sessionoptimizer`` namespace; the host decides where it goes.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog

_PROCESSORS: list[Any] = [
    structlog.processors.add_log_level,
    structlog.processors.format_exc_info,
    structlog.processors.KeyValueRenderer(key_order=["event"], drop_missing=True),
]


def get_logger(name: str) -> Any:
    """Return a structlog logger bound to stdlib logger ``name`` (use a ``sessionoptimizer`` dotted name)."""
    if not name.startswith("sessionoptimizer"):
        name = f"sessionoptimizer.{name}"
    return structlog.wrap_logger(
        logging.getLogger(name),
        processors=_PROCESSORS,
        wrapper_class=structlog.stdlib.BoundLogger,
    )
