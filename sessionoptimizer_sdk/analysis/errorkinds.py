"""Failed-call classification for the analysis: the one shared classifier (``_internal/errorkinds.py``)."""

from __future__ import annotations

from sessionoptimizer_sdk._internal.errorkinds import COUNTED_KINDS, classify_error

__all__ = ["COUNTED_KINDS", "classify_error"]
