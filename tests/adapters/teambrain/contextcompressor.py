"""Fake ContextCompressor: compresses a file to about a quarter of its tokens (4 characters per token)."""

from __future__ import annotations

import os
from typing import Any

from _record import record

_stats = {"files": 0, "original": 0, "compressed": 0}


def compress_file(path: str, **options: Any) -> dict[str, Any]:
    """Compress ``path`` (a missing file counts as 10,000 tokens, like the spec's /data/large.json)."""
    original = os.path.getsize(path) // 4 if os.path.exists(path) else 10_000
    compressed = max(1, original * 24 // 100)
    _stats["files"] += 1
    _stats["original"] += original
    _stats["compressed"] += compressed
    savings = round(100.0 * (1 - compressed / original), 1) if original else 0.0
    record("contextcompressor", "compress_file", path=str(path))
    return {
        "content": f"<compressed {path}>",
        "original": original,
        "compressed": compressed,
        "savings_percent": savings,
    }


def get_compression_stats() -> dict[str, int]:
    """Totals over every file compressed so far."""
    return dict(_stats)
