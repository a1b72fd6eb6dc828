"""The Claude Code hook process: one JSON payload on stdin, at most one JSON answer on stdout, always exit 0.

Stdlib only, so a hook costs an interpreter start and a few file operations (see benchmarks/bench_hooks.py).
PostToolUse/PostToolUseFailure append the call to the session's state file (one bounded JSON line, a single
``O_APPEND`` write); PreToolUse reads it back and asks :func:`~.guard.decide` (and, for a Read, records the file's
version just before it runs, so the Read keeps the version the model saw); SessionStart after ``clear`` or
``compact`` (and PreCompact) marks a reset; Stop (at most once a minute) and SessionEnd start a detached
``sessionoptimizer import claude-code`` of the transcript so the whole session lands in the store (and, when
installed with ``--server URL``, is shipped to the team server with the ingest token of the agent's
environment, ``SESSIONOPTIMIZER_INGEST_TOKEN``: never written into settings). Any fault
is logged once to ``hooks/errors.log`` and the agent carries on: this process never blocks a tool call.
"""

from __future__ import annotations

import json
import os
import sys
import time

from .guard import EDIT_TOOLS, READ_TOOLS, Call, command_key, decide, edit_path, plain_read, read_range

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs more to import than the hook's work: for the type checker only
    from collections.abc import Mapping, Sequence
    from typing import Any, Final

__all__ = ["IMPORT_INTERVAL", "MARKER", "STATE_LIMIT_BYTES", "main", "state_dir"]

#: Every hook command we install carries this flag: it is how ``hooks uninstall`` finds exactly our entries.
MARKER: Final = "--sessionoptimizer-hook"
#: Only the newest part of a session's state is read (bounds the work per call on very long sessions).
STATE_LIMIT_BYTES: Final = 2 * 1024 * 1024
#: A state file past this size is moved aside to ``<name>.old`` (replacing the previous one), so a session
#: keeps at most about :data:`STATE_LIMIT_BYTES` on disk and every call read still fits in the read window.
_ROTATE_BYTES: Final = STATE_LIMIT_BYTES // 2
_OLD: Final = ".old"
#: A file modified less than this before a Read is never trusted as unchanged later: a rewrite within the
#: file system's timestamp granularity (up to 2 s on FAT) could keep size and mtime (git's "racy clean" case).
_RACY_NS: Final = 2_000_000_000
#: Bounds on what one state line stores (a longer path cannot be opened; longer ids are not Claude Code's).
_MAX_PATH: Final = 4096
_MAX_NAME: Final = 200
_STDIN_LIMIT: Final = 8 * 1024 * 1024
_ID_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
_RESET_SOURCES: Final = frozenset({"clear", "compact"})
#: Stop fires after every assistant turn: the store import it starts runs at most once a minute per session
#: (SessionEnd always imports, so the session's end is never missed).
IMPORT_INTERVAL: Final = 60.0


def _home(argv_home: str | None) -> str:
    raw = argv_home or os.environ.get("SESSIONOPTIMIZER_HOME") or "~/.sessionoptimizer"
    return os.path.expanduser(raw)


def _valid_session_id(value: str) -> bool:
    """A Claude Code session id usable as a file name (no separators, no leading dot, bounded)."""
    return 0 < len(value) <= 128 and value[0] not in "._-" and set(value) <= _ID_CHARS


def state_dir(home: str, source: str = "claude-code") -> str:
    """Folder of the per-session state files of ``source`` ("claude-code" | "codex"), created 0700."""
    path = os.path.join(home, "hooks", source)
    if not os.path.isdir(path):
        os.makedirs(path, mode=0o700, exist_ok=True)
        for p in (path, os.path.dirname(path)):
            os.chmod(p, 0o700)
    return path


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return None


def _version(st: os.stat_result) -> str:
    """The on-disk version of a file: size, mtime, ctime (which no tool can set back) and inode (a replacement)."""
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


def _current_version(path: str | None) -> str | None:
    st = _stat(path) if path is not None else None
    return _version(st) if st is not None else None


def _bounded(value: object, limit: int) -> str | None:
    """``value`` as a string of at most ``limit`` characters, or None (a longer path names no file we can stat)."""
    return value if isinstance(value, str) and len(value) <= limit else None


def _key(text: str) -> str:
    import hashlib  # only failures need it

    return hashlib.sha256(text[:4000].encode("utf-8", "replace")).hexdigest()[:16]


def _tail(path: str, limit: int) -> tuple[list[bytes], int]:
    """The whole lines among the last ``limit`` bytes of ``path``, and the bytes read (([], 0) if absent)."""
    if limit <= 0:
        return [], 0
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(size - limit, 0))
            raw = fh.read(limit)
    except FileNotFoundError:
        return [], 0
    lines = raw.split(b"\n")
    return (lines[1:] if size > limit else lines), len(raw)  # a cut first line is dropped


def _parse(line: bytes) -> Call | None:
    """The call on one state line; None for a blank or malformed one (it is skipped, never fatal)."""
    if not line.strip():
        return None
    try:
        data = json.loads(line)
        return Call.from_dict(data) if isinstance(data, dict) else None
    except (ValueError, TypeError, OverflowError, RecursionError):
        return None


def _load(state: str) -> list[Call]:
    """The session's recorded calls, oldest first: the newest :data:`STATE_LIMIT_BYTES` of ``.old`` + current."""
    current, used = _tail(state, STATE_LIMIT_BYTES)
    older, _ = _tail(state + _OLD, STATE_LIMIT_BYTES - used)
    return [c for c in map(_parse, [*older, *current]) if c is not None]


def _rotate(state: str, fd: int) -> None:
    """Move the full state file ``fd`` aside to ``.old``, unless another hook already did (bounds the disk use).

    The lock and the inode check make two hooks that both saw the file full rotate it once; a hook that appends
    to the moved file meanwhile writes into ``.old``, which :func:`_load` still reads.
    """
    import fcntl  # only a full file needs it

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # another hook is rotating it
    try:
        here, named = os.fstat(fd), os.stat(state)
        if (here.st_ino, here.st_dev) == (named.st_ino, named.st_dev):
            os.replace(state, state + _OLD)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _append(state: str, call: Call) -> None:
    line = (json.dumps(call.to_dict(), separators=(",", ":")) + "\n").encode()
    fd = os.open(state, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line)
        if os.fstat(fd).st_size > _ROTATE_BYTES:
            _rotate(state, fd)
    finally:
        os.close(fd)


def _turn(calls: Sequence[Call]) -> int:
    """The next call's number: one more than the last recorded (parallel calls may share one; ids are exact)."""
    return calls[-1].turn + 1 if calls else 1


def _seen_version(calls: Sequence[Call], use_id: str, path: str | None) -> str | None:
    """The version a finished Read returned: its pre-Read version if the file still has it (else unknown)."""
    if not use_id or path is None:
        return None
    for c in reversed(calls):
        if c.pre and c.tool_use_id == use_id:
            return c.version if c.path == path and c.version == _current_version(path) else None
    return None


def _failure(response: Any) -> tuple[bool, str | None]:
    """(failed, error key) of a PostToolUse ``tool_response`` (a Bash result reports its exit status)."""
    if not isinstance(response, dict):
        return False, None
    code = next((response[k] for k in ("exit_code", "exitCode", "returncode") if k in response), 0)
    failed = bool(response.get("is_error")) or bool(response.get("interrupted")) or code not in (0, None)
    if not failed:
        return False, None
    return True, _key(f"{code}\n{response.get('stderr') or response.get('error') or ''}")


def _record(state: str, payload: Mapping[str, Any], event: str) -> None:
    """Append the finished call; one it cannot describe is still appended, as a call of unknown effect.

    A call left out could hide a file change between two failing runs (then a false "nothing ran since").
    """
    tool = str(payload.get("tool_name") or "")[:_MAX_NAME]
    use_id = str(payload.get("tool_use_id") or "")[:_MAX_NAME]
    calls = _load(state)
    turn = _turn(calls)
    try:
        call = _describe(calls, turn, tool, use_id, payload, event)
    except Exception:
        _append(state, Call(turn, tool, use_id))
        raise  # logged once by main()
    _append(state, call)


def _describe(
    calls: Sequence[Call], turn: int, tool: str, use_id: str, payload: Mapping[str, Any], event: str
) -> Call:
    """The record of a finished call, with what its kind needs (range and seen version, path, command)."""
    tool_input = payload.get("tool_input")
    if not isinstance(tool_input, dict):
        tool_input = {}
    error: str | None
    if event == "PostToolUseFailure":
        failed, error = True, _key(str(payload.get("error") or ""))
    else:
        failed, error = _failure(payload.get("tool_response"))
    if tool in READ_TOOLS and plain_read(tool_input):
        path = _bounded(tool_input["file_path"], _MAX_PATH)
        start, end = read_range(tool_input)
        version = _seen_version(calls, use_id, path)
        return Call(turn, tool, use_id, path=path, start=start, end=end, version=version, failed=failed)
    if tool in EDIT_TOOLS:
        return Call(turn, tool, use_id, path=_bounded(edit_path(tool_input), _MAX_PATH), failed=failed)
    if isinstance(tool_input.get("command"), str):
        command = command_key(tool_input["command"])
        return Call(turn, tool, use_id, command=command, failed=failed, error_key=error)
    return Call(turn, tool, use_id, failed=failed, error_key=error)


def _remember_version(
    state: str, calls: Sequence[Call], payload: Mapping[str, Any], path: str, st: os.stat_result
) -> None:
    """Record the file's version just before a Read runs (skipped for a file modified in the last 2 s)."""
    use_id = str(payload.get("tool_use_id") or "")[:_MAX_NAME]
    if not use_id or time.time_ns() - st.st_mtime_ns < _RACY_NS:
        return
    turn = calls[-1].turn if calls else 0  # not a call of its own: numbering is unchanged
    _append(state, Call(turn, "Read", use_id, path=path, version=_version(st), pre=True))


def _pre(state: str, payload: Mapping[str, Any], *, strict: bool) -> dict[str, Any] | None:
    tool = str(payload.get("tool_name") or "")
    tool_input = payload.get("tool_input")
    if not isinstance(tool_input, dict):
        return None
    path = _bounded(tool_input.get("file_path"), _MAX_PATH) if tool in READ_TOOLS else None
    st = _stat(path) if path is not None else None
    calls = _load(state)
    verdict = decide(calls, tool, tool_input, current_version=_version(st) if st is not None else None)
    if (
        path is not None
        and st is not None
        and plain_read(tool_input)
        and not (verdict is not None and strict)
    ):
        _remember_version(state, calls, payload, path, st)
    if verdict is None:
        return None
    out: dict[str, Any] = {"hookEventName": "PreToolUse"}
    if strict:
        out.update(permissionDecision="deny", permissionDecisionReason=verdict.reason)
    else:
        out["additionalContext"] = verdict.reason
    return {"hookSpecificOutput": out}


def _import_transcript(
    home: str,
    payload: Mapping[str, Any],
    agent: str,
    source: str,
    state: str,
    *,
    force: bool,
    server: str | None = None,
    store: str | None = None,
) -> None:
    """Start a detached import of the transcript (at most once per :data:`IMPORT_INTERVAL` unless ``force``)."""
    import subprocess  # only Stop/SessionEnd need it

    transcript = payload.get("transcript_path")
    if not isinstance(transcript, str) or not transcript.endswith(".jsonl") or not os.path.isfile(transcript):
        return
    marker = state + ".imported"
    try:
        if not force and time.time() - os.stat(marker).st_mtime < IMPORT_INTERVAL:
            return
    except OSError:
        pass
    os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    cmd = [sys.executable, "-m", "sessionoptimizer_sdk.cli", "--home", home]
    cmd += [*(["--store", store] if store else []), "import", source]
    if server:
        cmd += ["--server", server]
    subprocess.Popen(
        [*cmd, transcript, "--agent", agent, "--format", "json"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def handle(
    payload: Mapping[str, Any],
    *,
    home: str,
    agent: str,
    strict: bool,
    importer: bool,
    source: str = "claude-code",
    server: str | None = None,
    store: str | None = None,
) -> str:
    """The stdout answer (possibly empty) for one hook payload; records what the event says."""
    event = str(payload.get("hook_event_name") or "")
    session = str(payload.get("session_id") or "")
    if not _valid_session_id(session):
        return ""
    state = os.path.join(state_dir(home, source), f"{session}.jsonl")
    if event in ("PostToolUse", "PostToolUseFailure"):
        _record(state, payload, event)
    elif event == "PreToolUse":
        answer = _pre(state, payload, strict=strict)
        return json.dumps(answer) if answer else ""
    elif event == "PreCompact" or (event == "SessionStart" and str(payload.get("source")) in _RESET_SOURCES):
        _append(state, Call(turn=_turn(_load(state)), tool=event, reset=True))
    elif event in ("Stop", "SessionEnd") and importer:
        _import_transcript(
            home, payload, agent, source, state, force=event == "SessionEnd", store=store, server=server
        )
    return ""


def _log_once(home: str, site: str, exc: BaseException) -> None:
    """Append one line per (site, exception type) to ``hooks/errors.log``; never raises."""
    try:
        log = os.path.join(home, "hooks", "errors.log")
        key = f"{site}:{type(exc).__name__}"
        try:
            with open(log, encoding="utf-8", errors="replace") as fh:
                seen = fh.read()[-65536:]
        except OSError:
            seen = ""
        if f" {key} " not in seen:
            os.makedirs(os.path.dirname(log), mode=0o700, exist_ok=True)
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {key} {str(exc)[:300]}\n")
    except Exception:  # the last line of defence must not fail the agent
        pass


def _option(argv: Sequence[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv and argv.index(name) + 1 < len(argv) else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run one hook invocation; always returns 0 (a failing hook must never block the agent)."""
    args = list(sys.argv[1:] if argv is None else argv)
    home = _home(_option(args, "--home"))
    site = "hook"
    try:
        payload = json.loads(sys.stdin.buffer.read(_STDIN_LIMIT) or b"{}")
        if not isinstance(payload, dict):
            raise ValueError("hook payload is not a JSON object")
        site = str(payload.get("hook_event_name") or "hook")[:40]
        answer = handle(
            payload,
            home=home,
            agent=_option(args, "--agent") or "claude-code",
            strict="--strict" in args,
            importer="--no-import" not in args,
            source="codex" if _option(args, "--source") == "codex" else "claude-code",
            server=_option(args, "--server"),
            store=_option(args, "--store"),
        )
        if answer:
            sys.stdout.write(answer + "\n")
            sys.stdout.flush()
    except BaseException as exc:  # documented: never block the agent, log once
        if os.environ.get("SESSIONOPTIMIZER_STRICT") == "1" and os.environ.get("SESSIONOPTIMIZER_HOOK_RAISE"):
            raise
        _log_once(home, site, exc)
    return 0
