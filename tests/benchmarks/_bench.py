"""Shared by the CI ratio guards: where the benchmark scripts live, how to load one, the documented figures."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
TOLERANCE = 2.0  # only a gross regression fails; absolute times are never compared


def load_bench(name: str) -> ModuleType:
    """Import ``benchmarks/<name>.py`` (the folder is not a package; its scripts import each other by name)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def documented(file_name: str) -> dict[str, float]:
    """The ratios recorded in ``benchmarks/<file_name>`` (keys starting with ``_`` are notes)."""
    data = json.loads((BENCH / file_name).read_text())
    return {k: v for k, v in data.items() if not k.startswith("_")}
