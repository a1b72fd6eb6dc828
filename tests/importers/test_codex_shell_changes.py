"""Issue 14 item 5 on Codex: shell reads are reads, and shell commands that change a file start a new version."""

from __future__ import annotations

from pathlib import Path

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.importers.codex import load_rollout
from tests.importers.test_codex import _call, _meta, _output, _write

BODY = "x" * 4_000  # 1,000 tokens at the importer's documented 4 characters per token


def _rereads(tmp_path: Path, commands: list[str]) -> list[int]:
    lines = [*_meta()]
    for n, cmd in enumerate(commands):
        lines += [
            _call(10 + n, f"c{n}", "shell", {"command": ["bash", "-lc", cmd]}),
            _output(10 + n, f"c{n}", BODY, 0),
        ]
    imported = load_rollout(_write(tmp_path, lines))
    report = analyze_events(imported.session, imported.events)
    return [f.waste_tokens for f in report.issues if f.type == "repeated_file_read"]


def test_cat_twice_is_a_reread(tmp_path: Path) -> None:
    """`cat src/lib.rs` twice: the second print's 1,000 tokens are redundant."""
    assert _rereads(tmp_path, ["cat src/lib.rs", "cat src/lib.rs"]) == [1_000]


def test_sed_in_place_between_reads_is_a_change(tmp_path: Path) -> None:
    """`sed -i` on the file between two prints: the second print is a new version, not waste."""
    assert _rereads(tmp_path, ["cat src/lib.rs", "sed -i 's/a/b/' src/lib.rs", "cat src/lib.rs"]) == []
