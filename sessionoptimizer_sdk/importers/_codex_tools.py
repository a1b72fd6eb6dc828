"""What a Codex tool call did: its shell command, the files ``apply_patch`` changed, the file a command read.

Codex reads files through the shell (``sed -n 'A,Bp' f``, ``cat f``, ``head -n N f``,
``nl -ba f | sed -n ...``); recognising those simple forms lets the re-read analysis work on Codex
sessions as on Claude Code ones.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any

__all__ = ["file_read_of", "patch_files", "shell_command"]

_PATCH_FILE = re.compile(r"^\*\*\* (?:Add|Update|Delete) File: (.+?)\s*$", re.M)
_SHELLS = {"bash", "sh", "zsh", "/bin/bash", "/bin/sh", "/bin/zsh", "/usr/bin/bash"}
_SED_RANGE = re.compile(r"^(\d+)(?:,(\d+))?p$")


def shell_command(args: object) -> str | None:
    """The command line of a shell-like call (``shell``, ``shell_command``, ``exec_command``, local shell)."""
    if not isinstance(args, Mapping):
        return None
    raw: Any = args.get("command", args.get("cmd"))
    if isinstance(raw, list) and all(isinstance(p, str) for p in raw):
        if len(raw) >= 3 and raw[0] in _SHELLS and raw[1] in {"-lc", "-c"}:
            return str(raw[2])
        return shlex.join(raw)
    return raw if isinstance(raw, str) else None


def patch_files(name: str, args: object, command: str | None) -> list[str]:
    """Files added, updated or deleted by an ``apply_patch`` call (empty for any other call)."""
    text: str | None = None
    if name == "apply_patch":
        text = args if isinstance(args, str) else None
        if isinstance(args, Mapping) and isinstance(args.get("input"), str):
            text = args["input"]
    elif command and "*** Begin Patch" in command and "apply_patch" in command:
        text = command
    return _PATCH_FILE.findall(text) if text else []


def _sed_range(expr: str) -> tuple[int, int | None] | None:
    match = _SED_RANGE.match(expr)
    if not match:
        return None
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) else first
    return first, max(0, last - first + 1)


def file_read_of(command: str | None) -> dict[str, Any] | None:
    """``file_path``/``offset``/``limit`` when ``command`` only prints (part of) one file, else None."""
    if not command or any(c in command for c in ";&><`$\n"):
        return None
    stages = [s.strip() for s in command.split("|")]
    try:
        words = [shlex.split(s) for s in stages]
    except ValueError:
        return None
    if len(words) == 2 and words[0][:2] == ["nl", "-ba"] and len(words[0]) == 3:
        sed = words[1]
        rng = _sed_range(sed[2]) if len(sed) == 3 and sed[:2] == ["sed", "-n"] else None
        return {"file_path": words[0][2], "offset": rng[0], "limit": rng[1]} if rng else None
    if len(words) != 1 or not words[0]:
        return None
    argv = words[0]
    if argv[0] == "cat" and len(argv) == 2 and not argv[1].startswith("-"):
        return {"file_path": argv[1], "offset": None, "limit": None}
    if argv[0] == "sed" and len(argv) == 4 and argv[1] == "-n" and (rng := _sed_range(argv[2])):
        return {"file_path": argv[3], "offset": rng[0], "limit": rng[1]}
    if argv[0] == "head" and len(argv) == 4 and argv[1] == "-n" and argv[2].isdigit():
        return {"file_path": argv[3], "offset": 1, "limit": int(argv[2])}
    return None
