"""Fixtures for adapter tests: fresh fakes of the Team Brain tools, imported from ``teambrain/`` per test."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

TEAMBRAIN = Path(__file__).resolve().parent / "teambrain"
TOOLS = ("tokentracker", "contextcompressor", "errorrecovery", "synapselink", "agenthealth")


def _forget() -> None:
    for name in (*TOOLS, "_record"):
        sys.modules.pop(name, None)


@pytest.fixture
def teambrain(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    """The five fake tools as freshly imported modules (importable by their real names during the test only)."""
    monkeypatch.syspath_prepend(str(TEAMBRAIN))
    _forget()
    modules = {name: importlib.import_module(name) for name in TOOLS}
    yield SimpleNamespace(**modules, calls=importlib.import_module("_record").CALLS)
    _forget()
