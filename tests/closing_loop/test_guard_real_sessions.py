"""The guard replayed over real Claude Code transcripts: it flags only reads the analysis also finds redundant."""

from __future__ import annotations

from pathlib import Path

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.hooks.guard import Call, decide, read_range
from sessionoptimizer_sdk.models import EventType
from tests.analysis._builders import of_type
from tests.analysis._fixture_loader import FIXTURES, claude_code_paths, load_claude_code

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared fixtures not present")


def _replay(path: Path) -> tuple[set[str], set[str], int]:
    """(reads the guard flags, reads the analysis finds redundant, reads flagged right after an edit)."""
    session, events = load_claude_code(path)
    history: list[Call] = []
    versions: dict[str, int] = {}
    flagged: set[str] = set()
    after_edit = 0
    last_edit: dict[str, int] = {}
    for turn, e in enumerate(sorted(events, key=lambda e: (e.timestamp, e.seq)), 1):
        file_path = e.data.get("file_path")
        if not isinstance(file_path, str):
            continue
        if e.event_type is EventType.FILE_WRITE:
            versions[file_path] = versions.get(file_path, 0) + 1  # the file changes on disk with the edit
            last_edit[file_path] = turn
            history.append(Call(turn, "Edit", e.id, path=file_path))
        elif e.event_type is EventType.FILE_READ and not e.is_error:
            args = {k: e.data[k] for k in ("file_path", "offset", "limit") if k in e.data}
            version = str(versions.get(file_path, 0))
            if decide(history, "Read", args, current_version=version) is not None:
                flagged.add(e.id)
                after_edit += last_edit.get(file_path, -1) == turn - 1
            start, end = read_range(args)
            history.append(Call(turn, "Read", e.id, path=file_path, start=start, end=end, version=version))
    redundant = {
        i for f in of_type(analyze_events(session, events), "repeated_file_read") for i in f.evidence
    }
    return flagged, redundant, after_edit


@pytest.mark.parametrize("path", claude_code_paths(), ids=[p.name[:20] for p in claude_code_paths()])
def test_guard_flags_a_subset_of_the_analyzers_redundant_reads(path: Path) -> None:
    """Every read the guard would flag is one the analysis counts as redundant; none directly follows an edit."""
    flagged, redundant, after_edit = _replay(path)
    assert flagged <= redundant
    assert after_edit == 0


def test_guard_flags_the_known_exact_duplicates() -> None:
    """Across the real sessions the guard flags at least one exact duplicate read (the sample has some)."""
    assert any(_replay(p)[0] for p in claude_code_paths())
