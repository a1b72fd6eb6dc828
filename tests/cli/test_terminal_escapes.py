"""Terminal escapes (issue 15, item 9): untrusted names are printed with control characters made visible."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from sessionoptimizer_sdk import EventType, SessionOptimizer
from sessionoptimizer_sdk._internal.terminal import escape_control

_TITLE = "\x1b]0;pwned\x07"  # sets the terminal's window title
_CLEAR = "\x1b[2J"  # clears the screen
_CSI = "\x9b31m"  # the one-byte C1 form of ESC [


def _seed(home: Path) -> str:
    opt = SessionOptimizer(home)
    try:
        with opt.session(f"evil{_TITLE}", f"wipe{_CLEAR} it{_CSI}", model="sonnet") as s:
            for _ in range(3):
                s.log(
                    EventType.TOOL_CALL,
                    data={"tool": f"rm{_CLEAR}", "file_path": f"a{_TITLE}.py"},
                    tokens_input=5,
                )
            s.log(EventType.ERROR, data={"tool": f"rm{_CLEAR}", "message": f"boom{_TITLE}"})
        return s.id
    finally:
        opt.shutdown()


def _assert_safe(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "\\x1b" in text or "\\u001b" in text


def test_escape_control_shows_every_control_character_visibly() -> None:
    """ESC, BEL, a C1 CSI and a bidi override become visible escapes; ordinary text is unchanged."""
    assert escape_control(f"a{_TITLE}b") == "a\\x1b]0;pwned\\x07b"
    assert escape_control("x\x9by\u202ez") == "x\\x9by\\u202ez"
    assert escape_control("plain, üñíçødé") == "plain, üñíçødé"


def test_list_show_and_analyze_never_print_raw_escapes(run: Callable[..., Result], home: Path) -> None:
    """list, show and analyze (text, markdown, json) print agent, task and tool names with escapes visible."""
    sid = _seed(home)
    outputs = {
        "list": run("list"),
        "show": run("show", sid),
        "analyze": run("analyze", sid),
        "analyze text": run("analyze", sid, "--format", "text"),
        "analyze markdown": run("analyze", sid, "--format", "markdown"),
        "analyze html": run("analyze", sid, "--format", "html"),
        "analyze json": run("analyze", sid, "--format", "json"),
        "export text": run("export", sid, "--format", "text"),
        "list json": run("list", "--format", "json"),
        "show json": run("show", sid, "--format", "json"),
    }
    for name, result in outputs.items():
        assert result.exit_code == 0, (name, result.stderr)
        _assert_safe(result.stdout)
    assert "\\x1b[2J" in outputs["show"].stdout  # the tool name, shown rather than executed
    assert "\\u009b31m" in outputs["list json"].stdout  # C1 escaped in JSON too (it stays valid JSON)
    assert json.loads(outputs["analyze json"].stdout)["task"] == f"wipe{_CLEAR} it{_CSI}"
