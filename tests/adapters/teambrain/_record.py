"""Shared recorder of the fakes: calls kept in memory and, if FAKE_TEAMBRAIN_LOG is set, appended as JSON lines."""

from __future__ import annotations

import json
import os
import time
from typing import Any

CALLS: list[dict[str, Any]] = []


def record(tool: str, function: str, **fields: Any) -> dict[str, Any]:
    """Remember one call (with a monotonic timestamp) and return the record."""
    entry = {"tool": tool, "function": function, "at": time.monotonic(), "wall": time.time(), **fields}
    CALLS.append(entry)
    path = os.environ.get("FAKE_TEAMBRAIN_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, default=str) + "\n")
    return entry
