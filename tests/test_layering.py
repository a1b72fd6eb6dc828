"""The layering (issue 18, item 5): import-linter contracts in pyproject.toml hold and catch upward imports."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from importlinter import configuration
from importlinter.application import use_cases
from importlinter.application.app_config import settings

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sessionoptimizer_sdk"
#: Modules of analysis that run analyses over the store (the analysis service), outside the pure layer.
_ANALYSIS_SERVICE = {"runner.py", "stored.py", "monitor.py"}


@pytest.fixture
def lint(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run import-linter on pyproject.toml in-process; an optional extra import is added to the real graph."""
    configuration.configure()
    real_builder = settings.GRAPH_BUILDER

    def run(extra: tuple[str, str] | None = None) -> bool:
        class _Builder:
            def build(self, **options: Any) -> Any:
                graph = real_builder.build(**options)
                if extra is not None:
                    graph.add_import(importer=extra[0], imported=extra[1])
                return graph

        settings.configure(GRAPH_BUILDER=_Builder())
        try:
            result = use_cases.lint_imports(str(ROOT / "pyproject.toml"), cache_dir=None, no_logo=True)
        finally:
            settings.configure(GRAPH_BUILDER=real_builder)
        return result == use_cases.SUCCESS

    monkeypatch.chdir(ROOT)
    return run


def test_layering_contracts_hold(lint: Any) -> None:
    """Every import-linter contract of pyproject.toml is kept by the code as it is."""
    assert lint() is True


@pytest.mark.parametrize(
    "upward",
    [
        ("sessionoptimizer_sdk.recording.tool", "sessionoptimizer_sdk.cli._app"),  # below a surface
        (
            "sessionoptimizer_sdk.recording.recorder",
            "sessionoptimizer_sdk.store.sqlite",
        ),  # recording -> store
        ("sessionoptimizer_sdk.recording.recorder", "sqlite3"),
        ("sessionoptimizer_sdk.analysis.engine", "opentelemetry.trace"),  # pure analysis -> OTel
        ("sessionoptimizer_sdk.reporting.formats.text", "time"),  # reporting -> the clock
        ("sessionoptimizer_sdk.adapters._base", "sessionoptimizer_sdk.optimizer"),  # the old cycle
        ("sessionoptimizer_sdk.analysis.context", "sessionoptimizer_sdk.analysis.base"),  # the old cycle
        ("sessionoptimizer_sdk.importers.base", "sessionoptimizer_sdk.importers.codex"),  # the old cycle
        ("sessionoptimizer_sdk.processing.processor", "sessionoptimizer_sdk.recording.context"),
    ],
)
def test_an_upward_import_breaks_a_contract(lint: Any, upward: tuple[str, str]) -> None:
    """Adding one forbidden import to the real graph makes import-linter fail."""
    assert lint(upward) is False


def _clock_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        func = node.func if isinstance(node, ast.Call) else None
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in {"datetime", "date", "time"}
            and func.attr in {"now", "utcnow", "today", "time", "time_ns", "monotonic", "perf_counter"}
        ):
            found.append(f"{path.relative_to(PACKAGE)}:{func.lineno} {func.value.id}.{func.attr}()")
    return found


def test_analysis_and_reporting_never_read_the_clock() -> None:
    """Pure analysis and reporting take ``now`` from their caller; only the engine's default falls back."""
    files = [
        p
        for pkg in ("analysis", "reporting")
        for p in sorted((PACKAGE / pkg).rglob("*.py"))
        if not (pkg == "analysis" and p.parent.name == "analysis" and p.name in _ANALYSIS_SERVICE)
    ]
    calls = [call for path in files for call in _clock_calls(path)]
    # analyze_events(now=None) is public API: its documented default is the current time.
    assert [c.split(":")[0] for c in calls] == ["analysis/engine.py"], calls
