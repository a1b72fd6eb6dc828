"""``import sessionoptimizer_sdk`` is light, and every public name still resolves (loaded on first use)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
import sessionoptimizer_sdk
light = sorted(m for m in ("sessionoptimizer_sdk.optimizer", "sessionoptimizer_sdk.store.sqlite", "sqlite3")
               if m in sys.modules)
from sessionoptimizer_sdk import SessionOptimizer
import sessionoptimizer
names = {n: getattr(sessionoptimizer_sdk, n) is getattr(sessionoptimizer, n) for n in sessionoptimizer_sdk.__all__}
print(json.dumps({"loaded_at_import": light, "loaded_after": "sessionoptimizer_sdk.optimizer" in sys.modules,
                  "same": names, "dir": sorted(set(sessionoptimizer_sdk.__all__) - set(dir(sessionoptimizer_sdk)))}))
"""


def test_bare_import_defers_the_recording_pipeline_and_names_resolve() -> None:
    """The bare import loads no store or optimizer; each ``__all__`` name resolves to one object under both names."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["loaded_at_import"] == []
    assert result["loaded_after"] is True
    assert result["same"] and all(result["same"].values())
    assert {"SessionOptimizer", "get_optimizer", "propagate", "SessionScope", "OptimizationReport"} <= set(
        result["same"]
    )
    assert result["dir"] == []


def test_unknown_names_raise_attribute_error() -> None:
    """A misspelt name fails like any module attribute, naming the module."""
    import sessionoptimizer_sdk

    with pytest.raises(AttributeError, match=r"sessionoptimizer_sdk.*SessionOptimiser"):
        sessionoptimizer_sdk.SessionOptimiser  # noqa: B018
