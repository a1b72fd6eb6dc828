"""Bad paths and URLs given to `export --output` and `import --server`: exit 2 with one clear line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result


@pytest.mark.parametrize(
    ("output", "reason"),
    [("", "Is a directory"), ("/nonexistent/dir/x", "No such file or directory")],
)
def test_export_to_an_unusable_path_exits_2(output: str, reason: str, run: Callable[..., Result]) -> None:
    """`export --output` naming a folder or a path in a missing folder exits 2 with one `error:` line."""
    sid = run("start", "ATLAS", "export").stdout.strip()
    assert run("end", sid).exit_code == 0
    result = run("export", sid, "--output", output)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot write --output ") and result.stderr.endswith(
        f": {reason}\n"
    )


def test_export_to_a_file_still_writes_it(tmp_path: Path, run: Callable[..., Result]) -> None:
    """A usable --output path gets the report (JSON naming the session), mode 0600."""
    sid = run("start", "ATLAS", "export").stdout.strip()
    assert run("end", sid).exit_code == 0
    out = tmp_path / "report.json"
    assert run("export", sid, "--output", str(out)).exit_code == 0
    assert sid in out.read_text() and out.stat().st_mode & 0o777 == 0o600


def test_import_with_a_server_that_is_not_a_url_exits_2(tmp_path: Path, run: Callable[..., Result]) -> None:
    """`import claude-code --server 'not a url'` is bad input: exit 2 with one line naming the value."""
    result = run("import", "claude-code", "--server", "not a url", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --server must be an http(s) URL, got 'not a url'")
    assert result.stderr.count("\n") == 1
