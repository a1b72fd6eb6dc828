"""Processing: spans become store rows on a background writer (no I/O on the host's call path)."""

from __future__ import annotations

from .processor import SessionSpanProcessor

__all__ = ["SessionSpanProcessor"]
