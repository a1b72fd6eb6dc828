"""What a shell tool call did: its command, the files ``apply_patch`` changed, the file it read or changed.

Codex (and Claude Code through Bash) reads files through the shell (``sed -n 'A,Bp' f``, ``cat f``,
``head -n N f``, ``tail -n N f``, ``nl -ba f | sed -n ...``, ``less f``); recognising those simple forms lets
the re-read analysis see them. Commands that change files without an edit tool (``sed -i``, formatters,
``git checkout/stash/apply/restore/reset``, ``mv``/``cp``) are recognised too, so a later read is not
taken for an unchanged re-read.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["ALL_FILES", "file_read_of", "file_writes_of", "patch_files", "shell_command"]

#: ``file_writes_of`` result for a command that may change any file (``ruff format .``, ``git stash``).
ALL_FILES = "*"
_FORMATTERS = {"black", "isort", "gofmt", "rustfmt", "clang-format", "autopep8", "yapf"}
_GIT_WRITES = {"checkout", "stash", "apply", "restore", "reset", "switch", "merge", "rebase", "pull", "am"}

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


#: First words :func:`file_read_of` can recognise.
_READERS = frozenset({"cat", "less", "more", "nl", "head", "tail", "sed"})


def file_read_of(command: str | None) -> dict[str, Any] | None:
    """``file_path``/``offset``/``limit`` when ``command`` only prints (part of) one file, else None."""
    if not command or any(c in command for c in ";&><`$\n"):
        return None
    first = command.split(None, 1)[0] if command.strip() else ""
    if first not in _READERS and not any(c in first for c in "'\"\\"):
        return None  # a plain first word that is no reader: skip the shell-style split (most commands)
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
    whole = argv[0] in {"cat", "less", "more", "nl"} and len(argv) >= 2 and not argv[-1].startswith("-")
    if whole and all(a.startswith("-") for a in argv[1:-1]):
        return {"file_path": argv[-1], "offset": None, "limit": None}
    if argv[0] == "head" and len(argv) == 2 and not argv[1].startswith("-"):
        return {"file_path": argv[1], "offset": 1, "limit": 10}
    if argv[0] == "head" and len(argv) == 3 and argv[1][1:].isdigit() and argv[1].startswith("-"):
        return {"file_path": argv[2], "offset": 1, "limit": int(argv[1][1:])}
    if argv[0] == "tail" and len(argv) == 4 and argv[1] == "-n" and argv[2].isdigit():
        return {"file_path": argv[3], "offset": None, "limit": None, "tail_lines": int(argv[2])}
    if argv[0] == "tail" and len(argv) == 2 and not argv[1].startswith("-"):
        return {"file_path": argv[1], "offset": None, "limit": None, "tail_lines": 10}
    if argv[0] == "sed" and len(argv) == 4 and argv[1] == "-n" and (rng := _sed_range(argv[2])):
        return {"file_path": argv[3], "offset": rng[0], "limit": rng[1]}
    if argv[0] == "head" and len(argv) == 4 and argv[1] == "-n" and argv[2].isdigit():
        return {"file_path": argv[3], "offset": 1, "limit": int(argv[2])}
    return None


def _ruff_writes(rest: list[str]) -> bool:
    """``ruff format`` (not ``--check``/``--diff``) or ``ruff check --fix``."""
    if rest[:1] == ["format"]:
        return not {"--check", "--diff"} & set(rest)
    return rest[:1] == ["check"] and "--fix" in rest


#: Tool names :func:`file_writes_of` acts on. A shell word equal to one of them is, once quotes and backslashes
#: are removed, that name between whitespace, a stage separator or the ends: no such match, no write.
_WRITERS = {"sed", "ruff", "prettier", "git", "mv", "cp", "rm", "touch", "truncate", "patch"} | _FORMATTERS
_UNQUOTE = str.maketrans("", "", "'\"\\")
_SEPARATORS = str.maketrans(";&|", "   ")


class _WriterWords:
    """Finds a writing tool's name as a whole word of a command whose quotes and backslashes were removed.

    A word is a run between whitespace and the separators ``;&|``: what the former word-boundary regex matched,
    ~2x faster (one split, one set test; tests/importers/test_import_speed_equivalence.py compares them).
    """

    __slots__ = ()

    def search(self, text: str) -> str | None:
        """``text`` when one of its words is a writing tool, else None (the ``re.Pattern.search`` shape)."""
        return None if _WRITERS.isdisjoint(text.translate(_SEPARATORS).split()) else text


class _Finder(Protocol):
    """What :func:`file_writes_of` asks of its pre-filter (a compiled regex has the same shape)."""

    def search(self, text: str, /) -> object:
        """A match, or None when ``text`` cannot be a writing command."""


_WRITER: _Finder = _WriterWords()


def _targets(argv: list[str]) -> list[str]:
    return [a for a in argv if not a.startswith("-")]


def file_writes_of(command: str | None) -> list[str] | None:
    """Paths a shell command changes (``[ALL_FILES]`` when it may change any file), or None if it changes none."""
    if not command or _WRITER.search(command.translate(_UNQUOTE)) is None:
        return None  # no word that could be a writing tool: skip the shell-style split (most commands)
    found: list[str] = []
    for stage in re.split(r"&&|\|\||;|\n", command):
        try:
            argv = shlex.split(stage)
        except ValueError:
            return None
        while argv and "=" in argv[0] and not argv[0].startswith("-"):  # VAR=value prefixes
            argv = argv[1:]
        if len(argv) >= 2 and argv[0] in {"uv", "poetry", "pipx", "python", "python3", "npx"}:
            argv = argv[2:] if argv[1] in {"run", "-m"} else argv[1:]
        if not argv:
            continue
        tool, rest = argv[0], argv[1:]
        paths: list[str] | None = None
        if tool == "sed" and any(a == "-i" or a.startswith(("-i", "--in-place")) for a in rest):
            paths = _targets(rest)[1:]
        elif tool == "ruff" and _ruff_writes(rest):
            paths = _targets(rest[1:])
        elif (tool in _FORMATTERS and not {"--check", "--diff"} & set(rest)) or (
            tool == "prettier" and {"--write", "-w"} & set(rest)
        ):
            paths = _targets(rest)
        elif tool == "git" and rest and rest[0] in _GIT_WRITES:
            after = rest[rest.index("--") + 1 :] if "--" in rest else []
            paths = after
        elif tool in {"mv", "cp"} and len(_targets(rest)) >= 2:
            targets = _targets(rest)
            paths = [targets[-1]] + (targets[:-1] if tool == "mv" else [])
        elif tool in {"rm", "touch", "truncate", "patch"}:
            paths = _targets(rest)
        if paths is None:
            continue
        if not paths or any(p in {".", "./"} or "*" in p for p in paths):
            return [ALL_FILES]
        found.extend(paths)
    return found or None
