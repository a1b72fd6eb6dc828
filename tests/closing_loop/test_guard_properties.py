"""Properties of the guard on random sessions: it never flags a read with unseen lines or a re-read after an edit."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk.hooks.guard import Call, decide, read_range
from sessionoptimizer_sdk.hooks.settings import hook_command

_PATHS = ("/p/a.py", "/p/b.py")
_read = st.tuples(
    st.just("Read"),
    st.sampled_from(_PATHS),
    st.one_of(st.none(), st.integers(1, 300)),
    st.one_of(st.none(), st.integers(1, 200)),
)
_edit = st.tuples(st.just("Edit"), st.sampled_from(_PATHS), st.none(), st.none())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_read, _read, _edit), min_size=1, max_size=25))
def test_flagged_reads_are_exactly_fully_seen_unchanged_lines(
    script: list[tuple[str, str, Any, Any]],
) -> None:
    """A Read is flagged iff every line it asks for was read since the last edit of its file (by brute force)."""
    history: list[Call] = []
    seen: dict[str, set[int]] = {p: set() for p in _PATHS}
    versions = dict.fromkeys(_PATHS, 0)
    for turn, (tool, path, offset, limit) in enumerate(script, 1):
        if tool == "Edit":
            versions[path] += 1
            seen[path] = set()
            history.append(Call(turn, "Edit", f"t{turn}", path=path))
            continue
        args: dict[str, Any] = {"file_path": path}
        if offset is not None:
            args["offset"] = offset
        if limit is not None:
            args["limit"] = limit
        start, end = read_range(args)
        wanted = set(range(int(start), int(end) + 1))
        verdict = decide(history, "Read", args, current_version=str(versions[path]))
        assert (verdict is not None) == (wanted <= seen[path]), (turn, args, sorted(seen[path])[:5])
        seen[path] |= wanted
        history.append(
            Call(turn, "Read", f"t{turn}", path=path, start=start, end=end, version=str(versions[path]))
        )


def test_concurrent_hook_processes_never_corrupt_the_state_file(home: Path, tmp_path: Path) -> None:
    """Twenty PostToolUse hooks run at once (parallel tool calls) leave twenty whole JSON lines."""
    command = hook_command(agent="CLAUDE", home=str(home))
    procs = []
    for i in range(20):
        payload = {
            "session_id": "par",
            "transcript_path": "",
            "cwd": str(tmp_path),
            "permission_mode": "default",
            "hook_event_name": "PostToolUse",
            "tool_name": "Bash",
            "tool_use_id": f"toolu_{i}",
            "tool_input": {"command": f"echo {i} " + "x" * 300},
            "tool_response": {"stdout": str(i)},
        }
        p = subprocess.Popen(["sh", "-c", command], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        procs.append((p, json.dumps(payload)))
    for p, data in procs:
        out, _ = p.communicate(data, timeout=60)
        assert p.returncode == 0 and out == ""
    lines = (home / "hooks" / "claude-code" / "par.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["id"] for line in lines) == sorted(f"toolu_{i}" for i in range(20))
