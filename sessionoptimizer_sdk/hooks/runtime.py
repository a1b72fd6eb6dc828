"""The Claude Code hook process: one JSON payload on stdin, at most one JSON answer on stdout, always exit 0.

Stdlib only, so a hook costs an interpreter start and a few file operations (see benchmarks/bench_hooks.py).
PostToolUse/PostToolUseFailure append the call to the session's state file (one JSON line, a single
``O_APPEND`` write); PreToolUse reads it back and asks :func:`~.guard.decide`; SessionStart after ``clear`` or
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

from .guard import EDIT_TOOLS, READ_TOOLS, Call, decide, edit_path, plain_read, read_range

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs more to import than the hook's work: for the type checker only
    from collections.abc import Mapping, Sequence
    from typing import Any, Final

__all__ = ["IMPORT_INTERVAL", "MARKER", "STATE_LIMIT_BYTES", "main", "state_dir"]

#: Every hook command we install carries this flag: it is how ``hooks uninstall`` finds exactly our entries.
MARKER: Final = "--sessionoptimizer-hook"
#: Only the newest part of a state file is read (bounds the work per call on very long sessions).
STATE_LIMIT_BYTES: Final = 2 * 1024 * 1024
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


def _version(path: str) -> str | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}"


def _key(text: str) -> str:
    import hashlib  # only failures need it

    return hashlib.sha256(text[:4000].encode("utf-8", "replace")).hexdigest()[:16]


def _load(state: str) -> list[Call]:
    try:
        with open(state, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(size - STATE_LIMIT_BYTES, 0))
            raw = fh.read()
    except FileNotFoundError:
        return []
    lines = raw.split(b"\n")
    if len(raw) >= STATE_LIMIT_BYTES:
        lines = lines[1:]  # the first line may be cut
    calls = []
    for line in lines:
        if line.strip():
            try:
                calls.append(Call.from_dict(json.loads(line)))
            except (ValueError, TypeError):
                continue
    return calls


def _append(state: str, call: Call) -> None:
    line = (json.dumps(call.to_dict(), separators=(",", ":")) + "\n").encode()
    fd = os.open(state, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def _turn(calls: Sequence[Call]) -> int:
    return calls[-1].turn + 1 if calls else 1


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
    tool = str(payload.get("tool_name") or "")
    tool_input = payload.get("tool_input")
    if not isinstance(tool_input, dict):
        tool_input = {}
    calls = _load(state)
    turn, use_id = _turn(calls), str(payload.get("tool_use_id") or "")
    error: str | None
    if event == "PostToolUseFailure":
        failed, error = True, _key(str(payload.get("error") or ""))
    else:
        failed, error = _failure(payload.get("tool_response"))
    if tool in READ_TOOLS and plain_read(tool_input):
        path = str(tool_input["file_path"])
        start, end = read_range(tool_input)
        call = Call(
            turn, tool, use_id, path=path, start=start, end=end, version=_version(path), failed=failed
        )
    elif tool in EDIT_TOOLS:
        call = Call(turn, tool, use_id, path=edit_path(tool_input), failed=failed)
    elif isinstance(tool_input.get("command"), str):
        call = Call(turn, tool, use_id, command=str(tool_input["command"]), failed=failed, error_key=error)
    else:
        call = Call(turn, tool, use_id, failed=failed, error_key=error)
    _append(state, call)


def _pre(state: str, payload: Mapping[str, Any], *, strict: bool) -> dict[str, Any] | None:
    tool = str(payload.get("tool_name") or "")
    tool_input = payload.get("tool_input")
    if not isinstance(tool_input, dict):
        return None
    path = tool_input.get("file_path")
    version = _version(path) if tool in READ_TOOLS and isinstance(path, str) else None
    verdict = decide(_load(state), tool, tool_input, current_version=version)
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
    elif event == "PreCompact" or (event == "SessionStart" and payload.get("source") in _RESET_SOURCES):
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
