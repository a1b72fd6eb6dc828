"""Fixtures for the kit tests: run a kit as a real subprocess against the test's store, with fake Team Brain tools."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
KITS = REPO / "integrations"
TEAMBRAIN = REPO / "tests" / "adapters" / "teambrain"


@pytest.fixture
def kit_env(home: Path, tmp_path: Path) -> dict[str, str]:
    """Environment of a kit subprocess: the test's store, the fake Team Brain tools importable, their call log."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "PYTEST"))}
    env.update(
        SESSIONOPTIMIZER_HOME=str(home),
        SESSIONOPTIMIZER_STRICT="1",
        PYTHONPATH=os.pathsep.join([str(TEAMBRAIN), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        FAKE_TEAMBRAIN_LOG=str(tmp_path / "teambrain.jsonl"),
        COLUMNS="120",
    )
    return env


@pytest.fixture
def run_kit(kit_env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``integrations/<script>`` with this interpreter; returns the finished process (output captured)."""

    def run(
        script: str, *args: str, env: dict[str, str] | None = None, timeout: float = 90
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(KITS / script), *args],
            env=env or kit_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run


@pytest.fixture
def teambrain_calls(kit_env: dict[str, str]) -> Callable[[], list[dict[str, Any]]]:
    """Reads the calls the fake Team Brain tools received in subprocesses."""

    def read() -> list[dict[str, Any]]:
        path = Path(kit_env["FAKE_TEAMBRAIN_LOG"])
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    return read
