"""Our hook entries in a Claude Code ``settings.json``: add them, or remove exactly them, leaving the rest alone.

Entries are recognised by the ``--sessionoptimizer-hook`` flag in their command. Installing twice replaces our
entries (never duplicates them); uninstalling removes only handlers carrying the flag, and a matcher group or
event list only when our removal emptied it.
"""

from __future__ import annotations

import copy
import json
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from ..errors import InvalidInputError
from .runtime import MARKER

__all__ = ["CODEX_EVENTS", "EVENTS", "hook_command", "install_entries", "load_settings", "uninstall_entries"]

#: Event -> matcher ("" for events without tools). Read and edits feed the re-read guard; Bash the retry guard.
EVENTS: Final[Mapping[str, str]] = {
    "PreToolUse": "Read|Bash",
    "PostToolUse": "Read|Edit|MultiEdit|Write|NotebookEdit|Bash",
    "PostToolUseFailure": "Read|Bash",
    "SessionStart": "",
    "PreCompact": "",
    "Stop": "",
    "SessionEnd": "",
}
#: Codex (hooks.json): shell commands run as ``Bash`` and edits as ``apply_patch``; files are read through the
#: shell, so only the retry guard applies there.
CODEX_EVENTS: Final[Mapping[str, str]] = {
    "PreToolUse": "Bash",
    "PostToolUse": "Bash|apply_patch",
    "SessionStart": "",
    "PreCompact": "",
    "Stop": "",
}
#: Seconds Claude Code waits for the hook before it carries on without it.
HOOK_TIMEOUT: Final = 5
#: POSIX shell suffix of every hook command: whatever happens, no output on stderr and exit status 0.
_NEVER_FAIL: Final = "2>/dev/null || true"


def hook_command(
    *,
    agent: str,
    home: str | None = None,
    strict: bool = False,
    python: str | None = None,
    codex: bool = False,
    store: str | None = None,
    server: str | None = None,
) -> str:
    """The shell command a hook entry runs: this interpreter on the fast entry script, with our marker.

    ``-S`` skips ``site`` (about 10 ms per call): the hook modules need only the standard library. The command
    ends in ``2>/dev/null || true`` so it exits 0 silently even when the interpreter or the script is gone (an
    uninstalled package, a cleaned uvx cache): Claude Code reads exit 2 from PreToolUse as "block the call",
    and from Stop as "do not stop". The hook itself prints nothing on stderr (faults go to its log). ``store``:
    the store URL transcripts are imported into (default: the home folder's SQLite store). ``server`` (a team
    server's URL) makes the transcript imports also ship the session there; the ingest token comes from the
    agent's environment (``SESSIONOPTIMIZER_INGEST_TOKEN``), never from the settings file.
    """
    script = Path(__file__).with_name("_fast.py")
    parts = [python or sys.executable, "-S", str(script), MARKER, "--agent", agent]
    if home:
        parts += ["--home", home]
    if strict:
        parts.append("--strict")
    if codex:
        parts += ["--source", "codex"]
    if store:
        parts += ["--store", store]
    if server:
        parts += ["--server", server]
    return f"{shlex.join(parts)} {_NEVER_FAIL}"


def _ours(handler: Any) -> bool:
    return isinstance(handler, Mapping) and MARKER in str(handler.get("command", ""))


def load_settings(path: Path) -> dict[str, Any]:
    """The settings object in ``path`` ({} when the file does not exist); InvalidInputError if unusable."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInputError(f"cannot read {path} as JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInputError(f"{path} does not hold a JSON object")
    hooks = data.get("hooks")
    if hooks is not None and not isinstance(hooks, dict):
        raise InvalidInputError(f"{path}: 'hooks' is not a JSON object")
    for event, groups in (hooks or {}).items():
        if not isinstance(groups, list):
            raise InvalidInputError(f"{path}: hooks.{event} is not a list")
    return data


def uninstall_entries(settings: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``settings`` without our hook handlers (and without containers only they filled)."""
    out = copy.deepcopy(dict(settings))
    hooks = out.get("hooks")
    if not isinstance(hooks, dict):
        return out
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        kept = []
        for group in groups:
            handlers = group.get("hooks") if isinstance(group, dict) else None
            if not isinstance(handlers, list) or not any(_ours(h) for h in handlers):
                kept.append(group)
                continue
            rest = [h for h in handlers if not _ours(h)]
            if rest:
                kept.append({**group, "hooks": rest})
        if kept or not groups:
            hooks[event] = kept
        else:
            del hooks[event]
    if not hooks and isinstance(settings.get("hooks"), dict) and settings["hooks"]:
        del out["hooks"]
    return out


def install_entries(settings: Mapping[str, Any], command: str, *, codex: bool = False) -> dict[str, Any]:
    """A copy of ``settings`` with our entries for every event (:data:`EVENTS` or :data:`CODEX_EVENTS`)."""
    out = uninstall_entries(settings)
    hooks = out.setdefault("hooks", {})
    for event, matcher in (CODEX_EVENTS if codex else EVENTS).items():
        group: dict[str, Any] = {"hooks": [{"type": "command", "command": command, "timeout": HOOK_TIMEOUT}]}
        if matcher:
            group = {"matcher": matcher, **group}
        hooks.setdefault(event, []).append(group)
    return out
