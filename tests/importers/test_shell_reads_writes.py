"""Issue 14 item 5: reads and writes outside Read/Edit (Bash, MCP filesystem) and Read's 2,000-line cap.

Token sizes are hand-computed with the importer's documented estimator: characters / 4, rounded up
(a 4,000-character result is 1,000 tokens).
"""

from __future__ import annotations

from pathlib import Path

from sessionoptimizer_sdk.analysis import Finding, analyze_events
from sessionoptimizer_sdk.importers.claude_code import load_transcript
from tests.importers._cc_builder import Transcript

BODY = "x" * 4_000  # 1,000 tokens


def _reread(tmp_path: Path, t: Transcript) -> list[Finding]:
    imported = load_transcript(t.write(tmp_path / "sess.jsonl"))
    report = analyze_events(imported.session, imported.events)
    return [f for f in report.issues if f.type == "repeated_file_read"]


def test_file_printed_three_times_by_cat_is_a_reread(tmp_path: Path) -> None:
    """`cat src/app.py` three times: the 2nd and 3rd print (2 x 1,000 tokens) are redundant, path made absolute."""
    t = Transcript()
    for _ in range(3):
        t.call("Bash", {"command": "cat src/app.py"}, BODY)
    [f] = _reread(tmp_path, t)
    assert (f.waste_tokens, f.details["redundant_reads"]) == (2_000, 2)
    assert f.details["file_path"] == "/work/proj/src/app.py"


def test_bash_reads_after_a_read_tool_read_share_the_path(tmp_path: Path) -> None:
    """Read of /work/proj/a.py, then `head -n 50 a.py` (lines already returned): the head is redundant."""
    t = Transcript()
    t.call("Read", {"file_path": "/work/proj/a.py"}, BODY)
    t.call("Bash", {"command": "head -n 50 a.py"}, "y" * 400)  # 100 tokens
    [f] = _reread(tmp_path, t)
    assert f.waste_tokens == 100


def test_mcp_filesystem_reads_are_reads(tmp_path: Path) -> None:
    """The MCP filesystem server's read_text_file twice on one path: the second (1,000 tokens) is redundant."""
    t = Transcript()
    for _ in range(2):
        t.call("mcp__filesystem__read_text_file", {"path": "/work/proj/README.md"}, BODY)
    [f] = _reread(tmp_path, t)
    assert f.waste_tokens == 1_000


def test_shell_commands_that_change_files_make_the_next_read_new(tmp_path: Path) -> None:
    """After sed -i, a formatter, git checkout or mv onto the path, reading it again is not an unchanged re-read."""
    for change in (
        "sed -i 's/a/b/' src/app.py",
        "ruff format src/app.py",
        "black .",
        "prettier --write src/app.py",
        "git checkout -- src/app.py",
        "git stash",
        "mv /tmp/new.py src/app.py",
        "cp /tmp/new.py src/app.py",
    ):
        t = Transcript()
        t.call("Bash", {"command": "cat src/app.py"}, BODY)
        t.call("Bash", {"command": change}, "")
        t.call("Bash", {"command": "cat src/app.py"}, BODY)
        assert _reread(tmp_path, t) == [], change


def test_read_without_limit_covers_only_the_first_2000_lines(tmp_path: Path) -> None:
    """Read (no limit) returns lines 1-2000; reading lines 2001-2400 next is new; reading 1-100 again is not."""
    t = Transcript()
    t.call("Read", {"file_path": "/work/proj/big.py"}, BODY)
    t.call("Read", {"file_path": "/work/proj/big.py", "offset": 2001, "limit": 400}, "z" * 1_600)
    assert _reread(tmp_path, t) == []
    t.call("Read", {"file_path": "/work/proj/big.py", "offset": 1, "limit": 100}, "w" * 800)  # 200 tokens
    [f] = _reread(tmp_path, t)
    assert f.waste_tokens == 200
