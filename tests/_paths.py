"""Where the shared, read-only reference material lives (real transcripts and the spec), read in place.

The material sits beside the repository (``../shared``). ``SESSIONOPTIMIZER_SHARED`` overrides the location for
checkouts that live elsewhere; ``/work/shared`` is the workplace's fixed location.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _shared() -> Path:
    explicit = os.environ.get("SESSIONOPTIMIZER_SHARED")
    if explicit:  # used as given: a wrong location fails clearly instead of falling back
        return Path(explicit).resolve()
    candidates = [
        str(REPO_ROOT.parent / "shared"),
        "/work/shared",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "fixtures" / "sessions").is_dir():
            return Path(candidate).resolve()
    return (REPO_ROOT.parent / "shared").resolve()


SHARED = _shared()
FIXTURES = SHARED / "fixtures" / "sessions"
SPEC = SHARED / "spec" / "sessionoptimizer-integration-plan.md"
