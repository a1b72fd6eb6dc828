"""The live guard's decision: is this tool call a re-read of unchanged content or a retry of a failing call?

Pure and stdlib-only (the hook runtime imports it on every tool call). A Read is flagged only when every line it
asks for was already returned by earlier reads of the same file version in this session, with no edit of the
file in between and the file unchanged on disk since (size, mtime, ctime, inode). A new range, a re-read after an
edit, or after a compaction/clear is never flagged. A command is flagged when the identical command already failed
``retry_threshold`` times in a row with the same error and no other call (an edit, another command, any tool that
may write files) ran in between: a ``sed -i`` between two test runs is an edit too.

Values here are plain slotted classes, not dataclasses, and ``typing`` is imported for the type checker only:
importing ``dataclasses`` and ``typing`` cost more than the hook's own work (see benchmarks/bench_hooks.py).
"""

from __future__ import annotations

import math

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any, Final, Literal

__all__ = [
    "EDIT_TOOLS",
    "MAX_COMMAND_CHARS",
    "READ_TOOLS",
    "Call",
    "Verdict",
    "command_key",
    "decide",
    "edit_path",
    "plain_read",
    "read_range",
]

READ_TOOLS: Final = frozenset({"Read"})
#: Claude Code's edit tools, and Codex's ``apply_patch`` (its patch text is in ``tool_input.command``).
EDIT_TOOLS: Final = frozenset({"Edit", "MultiEdit", "Write", "NotebookEdit", "apply_patch"})
COMMAND_TOOLS: Final = frozenset({"Bash"})
_READ_ARGS: Final = frozenset({"file_path", "offset", "limit"})
#: Lines Claude Code's Read returns when no ``limit`` is given (its documented default).
DEFAULT_READ_LINES: Final = 2000
#: Offsets and limits are capped here (exact as floats; no file has more lines), so a huge one cannot overflow.
_MAX_LINE: Final = 2**53
#: Longer command lines are kept (and compared) as a hash, so one state line stays small.
MAX_COMMAND_CHARS: Final = 512
_HASH_PREFIX: Final = "\x00sha256:"


class Call:
    """One recorded tool call of the session, a ``reset`` marker (compaction, /clear), or a ``pre`` record.

    A ``pre`` record is a Read's file version taken just before the Read ran: the Read's own record keeps a
    version only when the file still had it afterwards, so the version is the one the model saw.
    """

    __slots__ = (
        "command",
        "end",
        "error_key",
        "failed",
        "path",
        "pre",
        "reset",
        "start",
        "tool",
        "tool_use_id",
        "turn",
        "version",
    )

    def __init__(
        self,
        turn: int,
        tool: str,
        tool_use_id: str = "",
        *,
        path: str | None = None,
        start: float = 1.0,
        end: float = math.inf,
        version: str | None = None,
        command: str | None = None,
        failed: bool = False,
        error_key: str | None = None,
        reset: bool = False,
        pre: bool = False,
    ) -> None:
        self.turn, self.tool, self.tool_use_id = turn, tool, tool_use_id
        self.path, self.start, self.end, self.version = path, start, end, version
        self.command, self.failed, self.error_key, self.reset = command, failed, error_key, reset
        self.pre = pre

    def __repr__(self) -> str:
        return f"Call({self.to_dict()!r})"

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Call:
        """Rebuild a call from its JSON line (``end`` None: to the end of the file); ValueError if malformed."""
        end = d.get("end")
        return cls(
            turn=int(_finite(d.get("turn", 0))),
            tool=_text(d.get("tool")) or "",
            tool_use_id=_text(d.get("id")) or "",
            path=_text(d.get("path")),
            start=_finite(d.get("start", 1)),
            end=math.inf if end is None else _finite(end),
            version=_text(d.get("version")),
            command=_text(d.get("command")),
            failed=d.get("failed") is True,
            error_key=_text(d.get("error")),
            reset=d.get("reset") is True,
            pre=d.get("pre") is True,
        )

    def to_dict(self) -> dict[str, Any]:
        """The call's JSON line (only the fields that matter for its kind)."""
        out: dict[str, Any] = {"turn": self.turn, "tool": self.tool, "id": self.tool_use_id}
        if self.reset:
            out["reset"] = True
        if self.pre:
            out["pre"] = True
        if self.path is not None:
            out.update(path=self.path, start=self.start, end=None if math.isinf(self.end) else self.end)
            out["version"] = self.version
        if self.command is not None:
            out["command"] = self.command
        if self.failed:
            out.update(failed=True, error=self.error_key)
        return out


def _finite(value: Any) -> float:
    """A finite number of a state line; ValueError or TypeError otherwise (a damaged line is skipped)."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number


def _text(value: Any) -> str | None:
    """A string field of a state line (None when absent; ValueError for another type)."""
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"not a string: {value!r}")


def command_key(command: str) -> str:
    """How a command line is stored and compared: itself, or a hash when longer than :data:`MAX_COMMAND_CHARS`."""
    if len(command) <= MAX_COMMAND_CHARS:
        return command
    import hashlib  # only long commands need it

    return _HASH_PREFIX + hashlib.sha256(command.encode("utf-8", "surrogatepass")).hexdigest()


class Verdict:
    """Why the call is redundant, and which earlier call (turn number and tool_use_id) already did it."""

    __slots__ = ("earlier_id", "earlier_turn", "kind", "reason")

    def __init__(
        self, kind: Literal["reread", "retry"], reason: str, earlier_turn: int, earlier_id: str
    ) -> None:
        self.kind, self.reason, self.earlier_turn, self.earlier_id = kind, reason, earlier_turn, earlier_id

    def __repr__(self) -> str:
        return f"Verdict({self.kind!r}, turn={self.earlier_turn}, id={self.earlier_id!r})"


def read_range(tool_input: Mapping[str, Any]) -> tuple[float, float]:
    """The 1-based inclusive line range a Read returns (``offset``/``limit``; no limit = 2000 lines)."""
    offset, limit = _whole(tool_input.get("offset")), _whole(tool_input.get("limit"))
    start = float(max(offset, 1)) if offset is not None else 1.0
    if limit is not None and limit > 0:
        return start, start + limit - 1
    return start, start + DEFAULT_READ_LINES - 1


def _whole(value: Any) -> int | None:
    """A JSON integer argument, capped at :data:`_MAX_LINE` (None for anything else, booleans included)."""
    return min(value, _MAX_LINE) if isinstance(value, int) and not isinstance(value, bool) else None


def plain_read(tool_input: Mapping[str, Any]) -> bool:
    """True for a text Read by lines (a PDF ``pages`` read or any unknown argument is never judged)."""
    return isinstance(tool_input.get("file_path"), str) and set(tool_input) <= _READ_ARGS


def edit_path(tool_input: Mapping[str, Any]) -> str | None:
    """The file an edit tool changes."""
    path = tool_input.get("file_path") or tool_input.get("notebook_path")
    return path if isinstance(path, str) and path else None


def _covered(ranges: Sequence[tuple[float, float]], start: float, end: float) -> bool:
    """True if the union of ``ranges`` covers ``[start, end]``."""
    pos = start
    for lo, hi in sorted(ranges):
        if lo > pos:
            break
        if hi >= pos:
            if math.isinf(hi):
                return True
            pos = hi + 1
        if pos > end:
            return True
    return pos > end


def _fmt(start: float, end: float) -> str:
    return f"lines {int(start)}-end" if math.isinf(end) else f"lines {int(start)}-{int(end)}"


def _since_reset(history: Sequence[Call]) -> Sequence[Call]:
    for i in range(len(history) - 1, -1, -1):
        if history[i].reset:
            return history[i + 1 :]
    return history


def _reread(
    history: Sequence[Call], path: str, start: float, end: float, version: str | None
) -> Verdict | None:
    if version is None:
        return None
    ranges: list[tuple[float, float]] = []
    last: Call | None = None
    for c in history:
        if c.path != path:
            continue
        if c.tool in EDIT_TOOLS:
            ranges, last = [], None
        elif c.tool in READ_TOOLS and not c.failed and not c.pre:
            if c.version != version:
                ranges, last = [], None
                continue
            ranges.append((c.start, c.end))
            if last is None or (c.start <= start and c.end >= end):
                last = c
    if last is None or not _covered(ranges, start, end):
        return None
    return Verdict(
        "reread",
        f"SessionOptimizer: {_fmt(start, end)} of {path} are already in your context from tool call "
        f"#{last.turn} ({last.tool_use_id or 'earlier Read'}), and the file has not changed since. Use that "
        "output instead of reading it again; read only lines you have not seen, or re-read after an edit.",
        last.turn,
        last.tool_use_id,
    )


def _retry(history: Sequence[Call], command: str, threshold: int) -> Verdict | None:
    """Flag the command's unbroken failure streak; any call but a Read may have changed files and breaks it."""
    key = command_key(command)
    streak: list[Call] = []
    for c in history:
        if c.command == key and c.tool in COMMAND_TOOLS:
            if not c.failed:
                streak = []
            elif streak and c.error_key != streak[-1].error_key:
                streak = [c]
            else:
                streak.append(c)
        elif c.tool not in READ_TOOLS:  # an edit, another command (``sed -i``), an unknown tool
            streak = []
    if len(streak) < threshold:
        return None
    last = streak[-1]
    return Verdict(
        "retry",
        f"SessionOptimizer: this exact command already failed {len(streak)} times in a row with the same "
        f"error (last at tool call #{last.turn}, {last.tool_use_id or 'earlier call'}) and no edit or other "
        "command ran since. Read that error and change the approach instead of running it again.",
        last.turn,
        last.tool_use_id,
    )


def decide(
    history: Sequence[Call],
    tool: str,
    tool_input: Mapping[str, Any],
    *,
    current_version: str | None,
    retry_threshold: int = 2,
) -> Verdict | None:
    """The verdict for a call about to run, given the session's earlier calls; None lets it run unremarked.

    ``current_version`` is the file's on-disk version now (None when unknown: never flagged).
    """
    calls = _since_reset(history)
    if tool in READ_TOOLS:
        path = tool_input.get("file_path")
        if not isinstance(path, str) or not path or not plain_read(tool_input):
            return None
        start, end = read_range(tool_input)
        return _reread(calls, path, start, end, current_version)
    if tool in COMMAND_TOOLS:
        command = tool_input.get("command")
        if not isinstance(command, str) or not command.strip():
            return None
        return _retry(calls, command, max(retry_threshold, 1))
    return None
