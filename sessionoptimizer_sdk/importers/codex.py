"""Codex CLI rollout JSONL (``~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl``) to sessions and events.

Lines are ``{"timestamp", "type", "payload"}`` with type ``session_meta``, ``turn_context``,
``response_item``, ``event_msg`` or ``compacted``. Usage comes from ``event_msg`` ``token_count``
(emitted twice per call: the duplicate is recognised by its unchanged cumulative total). OpenAI's
``input_tokens`` include cached input; the stored input is the uncached part (token kinds never overlap).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sessionoptimizer_sdk._internal.tokens import count_or_zero as _int
from sessionoptimizer_sdk.models import EventType, Session, SessionEvent, SessionStatus

from ._classify import classify_error
from ._codex_tools import ALL_FILES, file_read_of, file_writes_of, patch_files, shell_command
from ._common import (
    EPOCH,
    EventBuffer,
    ParserState,
    discover_jsonl,
    estimate_tokens,
    event_from_state,
    event_to_state,
    parse_ts,
    safe_session_id,
    sha256_json,
    sha256_text,
)
from ._reader import load_file
from ._scrub import scrub, scrub_value
from .base import ImportedSession

__all__ = ["CodexImporter", "CodexParser", "CodexState", "load_rollout"]

_UUID_TAIL = re.compile(r"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")
_EXIT_CODE = re.compile(r"(?:^Exit code:|Process exited with code)\s*(-?\d+)", re.M)
_CALLS = {"function_call", "custom_tool_call", "local_shell_call"}
_OUTPUTS = {"function_call_output", "custom_tool_call_output"}
_MAX_PENDING = 1024


def _failure(output: object) -> tuple[str, bool]:
    """(text, failed) of a tool output: JSON ``{"output", "metadata": {"exit_code"}}`` or ``Exit code: N``."""
    success: object = None
    if isinstance(output, Mapping):
        success = output.get("success")
        output = output.get("content", output.get("output", ""))
    text = output if isinstance(output, str) else json.dumps(output, sort_keys=True, default=repr)
    code: int | None = None
    try:
        parsed = json.loads(text) if text.startswith("{") else None
    except ValueError:
        parsed = None
    if isinstance(parsed, Mapping):
        meta = parsed.get("metadata")
        if isinstance(meta, Mapping) and isinstance(meta.get("exit_code"), int):
            code = meta["exit_code"]
        text = str(parsed.get("output", text))
    elif match := _EXIT_CODE.search(text[:400]):
        code = int(match.group(1))
    return text, success is False or (code is not None and code != 0)


_REDACTION_MARKERS = frozenset({"[redacted]", "<redacted>", "redacted", "[output redacted]", "***"})


def _redacted(output: object) -> bool:
    """True when a tool output was not kept (absent, empty, or a redaction marker)."""
    if isinstance(output, Mapping):
        output = output.get("content", output.get("output"))
    if output is None:
        return True
    return isinstance(output, str) and output.strip().lower() in _REDACTION_MARKERS | {""}


@dataclass(slots=True)
class CodexState(ParserState):
    """A Codex parser's resumable state (the JSON kept in import cursors)."""

    sid: str = ""
    model: str = "unknown"
    usage_key: str | None = None  # the last token_count's cumulative total: its duplicate is skipped
    total: dict[str, int] = field(default_factory=dict)  # cumulative usage by token kind
    #: The record kind of a compaction not yet followed by a model call ("" when none).
    compaction_open: str = ""


class CodexParser(EventBuffer):
    """Stateful, resumable parser of one Codex rollout file (see :class:`~.base.TranscriptParser`)."""

    def __init__(
        self, path: Path, *, agent: str, capture_content: bool, state: Mapping[str, Any] | None = None
    ) -> None:
        self._path = path
        self._agent = agent
        self._capture = capture_content
        tail = _UUID_TAIL.search(path.stem)
        self._st = CodexState.from_state(state)
        self._st.sid = self._st.sid or safe_session_id(tail.group(1) if tail else path.stem)
        super().__init__()

    # --- TranscriptParser -----------------------------------------------------------------------
    def feed(self, record: Mapping[str, Any], line: int) -> None:
        """Consume one rollout line."""
        kind = record.get("type")
        payload = record.get("payload")
        if not isinstance(payload, Mapping):
            raise ValueError(f"{kind or 'line'} without a payload object")
        ts = parse_ts(record.get("timestamp"))
        if ts is not None:
            self._first_seen(ts)
            self._st.seen(ts.timestamp())
        known = self._st.last or self._st.first
        when = ts or (datetime.fromtimestamp(known, UTC) if known else EPOCH)
        if kind == "session_meta":
            self._session_meta(payload)
        elif kind == "turn_context":
            if isinstance(payload.get("model"), str):
                self._st.model = payload["model"]
        elif kind == "response_item":
            self._response_item(payload, when, line)
        elif kind == "event_msg":
            self._event_msg(payload, when, line)
        elif kind == "compacted":
            self._compaction("compacted", when, line)

    def session(self, status: SessionStatus) -> Session | None:
        """The session so far, or None before any timestamped line."""
        if self._st.first is None:
            return None
        started = datetime.fromtimestamp(self._st.first, UTC)
        ended = (
            None
            if status is SessionStatus.ACTIVE
            else datetime.fromtimestamp(self._st.last or self._st.first, UTC)
        )
        meta = {**self._st.meta, "source": "codex", "source_path": str(self._path.resolve())}
        meta["responses"] = self._st.counts.get("responses", 0)
        project = Path(str(self._st.meta.get("cwd") or "codex")).name
        task = self._st.task or f"Codex session in {project}"
        return Session(self._st.sid, self._agent, task, self._st.model, status, started, ended, meta)

    def state(self) -> dict[str, Any]:
        """Everything needed to resume after the last fed line."""
        return self._st.to_state()

    # --- records ----------------------------------------------------------------------------------
    def _session_meta(self, payload: Mapping[str, Any]) -> None:
        if isinstance(payload.get("id"), str) and payload["id"]:
            self._st.sid = safe_session_id(payload["id"])
        for key in ("cwd", "cli_version", "originator", "model_provider", "forked_from_id"):
            if isinstance(payload.get(key), str) and payload[key]:
                self._st.meta[key] = payload[key]
        if self._st.meta.get("cwd"):
            self._st.meta["project"] = Path(self._st.meta["cwd"]).name
        git = payload.get("git")
        if isinstance(git, Mapping):
            for src, dst in (
                ("branch", "git_branch"),
                ("commit_hash", "git_commit"),
                ("repository_url", "git_repo"),
            ):
                if isinstance(git.get(src), str):
                    self._st.meta[dst] = git[src]
        source = payload.get("source")
        spawn = source.get("subagent") if isinstance(source, Mapping) else None
        spawn = spawn.get("thread_spawn") if isinstance(spawn, Mapping) else None
        if isinstance(spawn, Mapping) and isinstance(spawn.get("parent_thread_id"), str):
            self._st.meta.update(subagent=True, parent_session_id=spawn["parent_thread_id"])
        elif isinstance(source, str):
            self._st.meta["origin"] = source
        started = parse_ts(payload.get("timestamp"))
        if started is not None:
            self._first_seen(started)
            self._st.first = min(self._st.first or started.timestamp(), started.timestamp())

    def _first_seen(self, ts: datetime) -> None:
        """Place the events of lines read before the rollout's first timestamp at it (they were EPOCH)."""
        if self._st.first is None:
            self._place_untimed(ts, self._st.pending)

    def _response_item(self, payload: Mapping[str, Any], ts: datetime, line: int) -> None:
        ptype = payload.get("type")
        if ptype in _CALLS:
            self._call(payload, ts, line)
        elif ptype in _OUTPUTS:
            self._output(payload, ts)
        elif ptype == "reasoning":
            summary = payload.get("summary")
            text = "\n".join(
                str(s.get("text") or "")
                for s in (summary if isinstance(summary, list) else ())
                if isinstance(s, Mapping)
            )
            data: dict[str, Any] = {"model": self._st.model, "provider": "openai", "chars": len(text)}
            data.update(
                estimated_tokens=estimate_tokens(len(text)), encrypted=bool(payload.get("encrypted_content"))
            )
            if self._capture:
                data["content"] = scrub(text)
            self._emit(
                SessionEvent(f"{self._st.sid}:think:{line}", self._st.sid, EventType.THINKING, ts, data)
            )
        elif ptype == "web_search_call":
            data = {
                "tool": "web_search",
                "tool_call_id": None,
                "args_sha256": sha256_json(payload.get("action")),
            }
            event_id = f"{self._st.sid}:tool:web{line}"
            self._emit(SessionEvent(event_id, self._st.sid, EventType.TOOL_CALL, ts, data, name="web_search"))

    def _call(self, payload: Mapping[str, Any], ts: datetime, line: int) -> None:
        call_id = str(payload.get("call_id") or payload.get("id") or f"line{line}")
        if call_id in self._st.pending:
            return
        name = str(
            payload.get("name") or ("shell" if payload.get("type") == "local_shell_call" else "unknown")
        )
        raw = payload.get("arguments", payload.get("input", payload.get("action")))
        try:
            args: Any = json.loads(raw) if isinstance(raw, str) and raw[:1] in "{[" else raw
        except ValueError:
            args = raw
        command = shell_command(args)
        data: dict[str, Any] = {"tool": name, "tool_call_id": call_id, "args_sha256": sha256_json(args)}
        if self._capture:
            data["args"] = scrub_value(args)
        files = patch_files(name, args, command)
        read = None if files else file_read_of(command)
        if files:
            etype = EventType.FILE_WRITE
            data["file_path"] = files[0]
            for n, extra in enumerate(files[1:], start=1):
                more = {**data, "file_path": extra}
                self._emit(
                    SessionEvent(
                        f"{self._st.sid}:tool:{call_id}:{n}", self._st.sid, etype, ts, more, name=name
                    )
                )
        elif read is not None:
            etype = EventType.FILE_READ
            data.update(read)
        else:
            etype = EventType.TOOL_CALL
            changed = file_writes_of(command)
            if changed == [ALL_FILES]:
                data["modifies_all"] = True
            elif changed:
                data["modifies"] = changed
        event = SessionEvent(f"{self._st.sid}:tool:{call_id}", self._st.sid, etype, ts, data, name=name)
        if len(self._st.pending) >= _MAX_PENDING:
            self._st.pending.pop(next(iter(self._st.pending)))
        self._st.pending[call_id] = {"event": event_to_state(event), "command": command}
        self._emit(event)

    def _output(self, payload: Mapping[str, Any], ts: datetime) -> None:
        call_id = str(payload.get("call_id") or "")
        pending = self._st.pending.pop(call_id, None)
        redacted = _redacted(payload.get("output"))
        text, failed = ("", False) if redacted else _failure(payload.get("output"))
        shown = scrub(text) if self._capture else ""  # what is stored of the output
        tool: str | None = None
        if pending is not None:
            event = event_from_state(pending["event"])
            tool = event.name
            data = dict(event.data)
            digest_key = "content_sha256" if event.event_type is EventType.FILE_READ else "result_sha256"
            data.update({"result_tokens": estimate_tokens(len(text)), digest_key: sha256_text(text)})
            if failed:
                data["failed"] = True
            if redacted:  # the rollout kept no output: success or failure cannot be told
                data["result_redacted"] = True
            if self._capture:
                data["result"] = shown
            duration = max(0.0, (ts - event.timestamp).total_seconds() * 1000)
            self._emit(replace(event, data=data, duration_ms=duration))
        if failed:
            kind = classify_error(text, command=pending["command"] if pending else None)
            message = shown[:2000] if self._capture else f"{tool or 'tool'} failed ({kind.value})"
            data = {"message": message, "message_sha256": sha256_text(text), "error_kind": kind.value}
            data.update(tool=tool, tool_call_id=call_id or None)
            self._emit(
                SessionEvent(
                    f"{self._st.sid}:err:{call_id}",
                    self._st.sid,
                    EventType.ERROR,
                    ts,
                    data,
                    name=tool,
                    is_error=True,
                    error_type=kind.value,
                )
            )

    def _event_msg(self, payload: Mapping[str, Any], ts: datetime, line: int) -> None:
        ptype = payload.get("type")
        if ptype == "token_count":
            self._token_count(payload, ts, line)
        elif ptype == "user_message":
            text = str(payload.get("message") or "")
            data: dict[str, Any] = {"chars": len(text), "content_sha256": sha256_text(text)}
            if self._capture:
                data["content"] = shown = scrub(text)
                self._st.task = self._st.task or shown[:500]
            self._emit(
                SessionEvent(f"{self._st.sid}:user:{line}", self._st.sid, EventType.USER_MESSAGE, ts, data)
            )
        elif ptype == "context_compacted":
            self._compaction("context_compacted", ts, line)

    def _compaction(self, kind: str, ts: datetime, line: int) -> None:
        """One COMPACTION per compaction: Codex records it twice (``compacted`` + ``context_compacted``)."""
        seen = self._st.compaction_open
        if seen and seen != kind:  # the other record of the compaction already emitted
            self._st.compaction_open = ""
            return
        self._st.compaction_open = kind
        self._emit(
            SessionEvent(
                f"{self._st.sid}:compact:{line}", self._st.sid, EventType.COMPACTION, ts, {"record": kind}
            )
        )

    def _token_count(self, payload: Mapping[str, Any], ts: datetime, line: int) -> None:
        info = payload.get("info")
        if not isinstance(info, Mapping):
            return  # rate-limit-only heartbeat
        total = info.get("total_token_usage")
        last = info.get("last_token_usage")
        key = json.dumps(total if isinstance(total, Mapping) else [last, ts.timestamp()], sort_keys=True)
        if key == self._st.usage_key:
            return  # Codex writes every token_count twice
        self._st.usage_key = key
        kinds = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens")
        if isinstance(total, Mapping):
            new_total = {k: _int(total.get(k)) for k in kinds}
            if not isinstance(last, Mapping):
                last = {k: max(0, new_total[k] - self._st.total.get(k, 0)) for k in kinds}
            self._st.total = new_total
        if not isinstance(last, Mapping):
            return
        prompt, cached = _int(last.get("input_tokens")), _int(last.get("cached_input_tokens"))
        output, reasoning = _int(last.get("output_tokens")), _int(last.get("reasoning_output_tokens"))
        cached = min(cached, prompt)
        self._st.count("responses")
        self._st.compaction_open = ""  # a model call after it: a later record is a new compaction
        data = {
            "model": self._st.model,
            "provider": "openai",
            "response_id": None,
            "output_incomplete": False,
        }
        event = SessionEvent(
            f"{self._st.sid}:resp:{line}",
            self._st.sid,
            EventType.AI_RESPONSE,
            ts,
            data,
            tokens_input=prompt - cached,
            tokens_output=output,
            cache_read_tokens=cached,
            reasoning_tokens=min(reasoning, output),
            name=self._st.model,
        )
        self._emit(event)


class CodexImporter:
    """The ``codex`` source: rollouts under ``$CODEX_HOME/sessions`` (default ``~/.codex/sessions``)."""

    name = "codex"
    whole_file = False

    def default_paths(self) -> list[Path]:
        """``$CODEX_HOME/sessions`` when set, else ``~/.codex/sessions``."""
        root = os.environ.get("CODEX_HOME")
        return [(Path(root).expanduser() if root else Path.home() / ".codex") / "sessions"]

    def discover(self, path: Path) -> Iterator[Path]:
        """The rollout ``.jsonl`` files at ``path``, sorted."""
        return discover_jsonl(path)

    def parser(
        self, path: Path, *, agent: str | None, capture_content: bool, state: Mapping[str, Any] | None
    ) -> CodexParser:
        """A parser for one rollout."""
        return CodexParser(path, agent=agent or "codex", capture_content=capture_content, state=state)


def load_rollout(
    path: str | os.PathLike[str], *, agent: str = "codex", capture_content: bool = False
) -> ImportedSession:
    """Load one Codex rollout into memory (raises ImportSourceError if unreadable or empty)."""
    return load_file(CodexImporter(), Path(path), agent=agent, capture_content=capture_content)
