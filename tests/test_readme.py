"""The README's quickstart is what CI runs, and its Python example works as printed."""

from __future__ import annotations

import re

from tests.conftest import REPO_ROOT


def _quickstart() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text()
    block = re.search(r"## Quickstart\s+```bash\n(.*?)```", readme, re.S)
    assert block is not None, "README has no Quickstart bash block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def test_ci_runs_the_readme_commands_verbatim() -> None:
    """.ci/run executes exactly the README's two quickstart commands."""
    commands = _quickstart()
    assert len(commands) == 2
    ci = [line.strip() for line in (REPO_ROOT / ".ci" / "run").read_text().splitlines()]
    for command in commands:
        assert command in ci


def test_readme_python_example_runs(home: object) -> None:
    """The README's 'Use it' example runs unchanged against a real store."""
    readme = (REPO_ROOT / "README.md").read_text()
    block = re.search(r"## Use it\s+```python\n(.*?)```", readme, re.S)
    assert block is not None
    namespace: dict[str, object] = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)
    report = namespace["report"]
    assert 0 <= report.efficiency_score <= 100  # type: ignore[attr-defined]
    namespace["optimizer"].shutdown()  # type: ignore[attr-defined]
