"""``docs/integrations.md``: every python example runs as written against the fake Team Brain tools."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"
EXAMPLES = re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.M | re.S)


def test_the_page_has_an_example_per_adapter() -> None:
    """Each of the five adapters has a runnable example on the page."""
    text = "\n".join(EXAMPLES)
    for name in ("TokenTracker", "ContextCompressor", "ErrorRecovery", "SynapseLink", "AgentHealth"):
        assert f"{name}Adapter" in text or f"{name}Notifier" in text or f"{name}Reporter" in text, name


@pytest.mark.parametrize("code", EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_example_runs(code: str, teambrain: SimpleNamespace) -> None:
    """The example runs to the end, including its own assertions."""
    exec(compile(code, str(DOC), "exec"), {"__name__": "__docs__"})
