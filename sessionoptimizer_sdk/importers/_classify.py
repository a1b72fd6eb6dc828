"""Failed-call classification for the importers: the same classifier the analysis uses on live events."""

from __future__ import annotations

from sessionoptimizer_sdk._internal.errorkinds import classify_error, is_test_command, user_feedback

__all__ = ["classify_error", "is_test_command", "user_feedback"]
