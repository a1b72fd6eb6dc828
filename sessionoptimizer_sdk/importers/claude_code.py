"""Claude Code JSONL transcripts (``~/.claude/projects/<project>/<session>.jsonl``) to sessions and events.

Claude Code writes one line per content block of an assistant message and repeats the message's usage on each;
usage is therefore counted once per ``message.id`` + ``requestId``, keeping the largest ``output_tokens``
(recent versions write a stream-start placeholder there). Subagent transcripts become sessions naming
the parent.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sessionoptimizer_sdk._internal.tokens import count_or_zero as _int
from sessionoptimizer_sdk.models import EventType, Session, SessionEvent, SessionStatus

from ._classify import classify_error, user_feedback
from ._claude_tools import READ_TOOLS as _READ_TOOLS
from ._claude_tools import WRITE_TOOLS as _WRITE_TOOLS
from ._codex_tools import ALL_FILES, file_read_of, file_writes_of
from ._common import (
    EPOCH,
    EventBuffer,
    ParserState,
    content_size,
    discover_jsonl,
    estimate_tokens,
    event_from_state,
    event_to_state,
    new_event,
    parse_ts,
    safe_session_id,
    sha256_json,
    sha256_text,
)
from ._common import (
    MAPS as _MAPS,
)
from ._reader import load_file
from ._scrub import scrub, scrub_value
from .base import ImportedSession

__all__ = ["ClaudeCodeImporter", "ClaudeCodeParser", "ClaudeCodeState", "load_transcript"]

#: MCP filesystem server tools (``mcp__<server>__<tool>``) that read or change one file, and its argument.
_MCP_READS = {"read_file": "path", "read_text_file": "path", "read_media_file": "path"}
_MCP_WRITES = {"write_file": "path", "edit_file": "path", "move_file": "destination"}
#: Attachment lines that carry the user's own words (a prompt queued mid-turn), not a system reminder.
_USER_ATTACHMENTS = frozenset({"queued_command"})
_SYNTHETIC_MODEL = "<synthetic>"
_MAX_RESPONSES = 256  # responses kept for dedupe: their lines are adjacent in practice
_MAX_PENDING = 1024  # tool calls awaiting their result
_IDENTITY = (("cwd", "cwd"), ("gitBranch", "git_branch"), ("version", "claude_code_version"))
_KINDS = frozenset({"user", "assistant", "system", "attachment"})
_THINKING = frozenset({"thinking", "redacted_thinking"})
#: (usage ``cache_creation`` key, event data key) of the 5-minute and 1-hour cache writes.
_WRITE_TTLS = (
    ("ephemeral_5m_input_tokens", "cache_write_5m_tokens"),
    ("ephemeral_1h_input_tokens", "cache_write_1h_tokens"),
)


@dataclass(slots=True)
class ClaudeCodeState(ParserState):
    """A Claude Code parser's resumable state (the JSON kept in import cursors)."""

    sid: str | None = None
    parent: str | None = None  # the session a subagent transcript belongs to
    models: Counter[str] = field(default_factory=Counter)  # responses per model
    #: Recent responses by ``message.id:requestId``: ``{"event": event_to_state(...), "stop": bool}``.
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)


class ClaudeCodeParser(EventBuffer):
    """Stateful, resumable parser of one Claude Code transcript (see :class:`~.base.TranscriptParser`)."""

    def __init__(
        self, path: Path, *, agent: str, capture_content: bool, state: Mapping[str, Any] | None = None
    ) -> None:
        self._path = path
        self._agent = agent
        self._capture = capture_content
        self._subagent = path.stem.startswith("agent-")
        in_subfolder = self._subagent and path.parent.name == "subagents"
        self._st = st = ClaudeCodeState.from_state(state)
        st.parent = st.parent or (path.parent.parent.name if in_subfolder else None)
        st.sid = st.sid or (None if self._subagent else safe_session_id(path.stem))
        self._sidechain = False
        self._cwd: str | None = None
        self._project = ""
        super().__init__()

    # --- TranscriptParser -----------------------------------------------------------------------
    def feed(self, record: Mapping[str, Any], line: int) -> None:
        """Consume one transcript line."""
        kind = record.get("type")
        if kind not in _KINDS:
            return  # summaries, snapshots, queue operations, progress (subagent echoes) carry no usage
        st = self._st
        ts = parse_ts(record.get("timestamp"))
        self._identify(record)
        if ts is not None and kind != "attachment":  # the conversation's lines bound the session
            stamp = ts.timestamp()  # ParserState.seen, inline (this runs per line)
            first = st.first
            if first is None or stamp < first:
                if first is None:  # lines before it were stamped EPOCH: they happened by now
                    self._place_untimed(ts, st.pending, st.responses)
                st.first = stamp
            if st.last is None or stamp > st.last:
                st.last = stamp
        when = ts or (datetime.fromtimestamp(st.last, UTC) if st.last else EPOCH)
        uuid = str(record.get("uuid") or f"line{line}")
        self._sidechain = bool(record.get("isSidechain")) and not self._subagent
        if kind == "assistant":
            self._assistant(record, when, uuid)
        elif kind == "user":
            self._user(record, when, uuid)
        elif kind == "attachment":
            self._attachment(record, when, uuid)
        else:
            self._system(record, when, uuid)

    def session(self, status: SessionStatus) -> Session | None:
        """The session so far, or None before the first user/assistant line."""
        if self._st.sid is None or self._st.first is None:
            return None
        started = datetime.fromtimestamp(self._st.first, UTC)
        ended = datetime.fromtimestamp(self._st.last or self._st.first, UTC)
        model = self._st.models.most_common(1)[0][0] if self._st.models else "unknown"
        incomplete = self._st.counts.get("incomplete", 0)
        meta = {
            **self._st.meta,
            "source": "claude-code",
            "source_path": str(self._path.resolve()),
            "responses": self._st.counts.get("responses", 0),
            "output_tokens_incomplete": incomplete > 0,
            "incomplete_responses": incomplete,
            "api_errors": self._st.counts.get("api_errors", 0),
        }
        if self._subagent:
            meta.update(subagent=True, parent_session_id=self._st.parent, subagent_id=self._path.stem)
        project = Path(str(self._st.meta.get("cwd") or self._path.parent.name)).name
        task = self._st.task or f"Claude Code session in {project}"
        end = None if status is SessionStatus.ACTIVE else ended
        return Session(self._st.sid, self._agent, task, model, status, started, end, meta)

    def state(self) -> dict[str, Any]:
        """Everything needed to resume after the last fed line (events kept live are saved as their state)."""
        out = self._st.to_state()
        out["pending"] = {tid: _saved(entry) for tid, entry in self._st.pending.items()}
        out["responses"] = {key: _saved(entry) for key, entry in self._st.responses.items()}
        return out

    # --- records ----------------------------------------------------------------------------------
    def _identify(self, record: Mapping[str, Any]) -> None:
        meta = self._st.meta
        for key, name in _IDENTITY:
            value = record.get(key)
            if value and isinstance(value, str):
                meta[name] = value
        cwd = meta.get("cwd")
        if cwd and cwd != self._cwd:  # every line repeats it: derive the project name once per change
            self._cwd, self._project = cwd, Path(cwd).name
        if cwd:
            meta["project"] = self._project
        if self._st.sid is None:
            owner = record.get("sessionId")
            self._st.parent = self._st.parent or (owner if isinstance(owner, str) and owner else None)
            self._st.sid = safe_session_id(
                f"{self._st.parent}.{self._path.stem}" if self._st.parent else self._path.stem
            )

    def _assistant(self, record: Mapping[str, Any], ts: datetime, uuid: str) -> None:
        msg = record.get("message")
        if not isinstance(msg, _MAPS):
            raise ValueError("assistant line without a message object")
        model = msg.get("model")
        if not isinstance(model, str):
            model = "unknown"
        mid = str(msg.get("id") or uuid)
        usage = msg.get("usage")
        if isinstance(usage, _MAPS) and model != _SYNTHETIC_MODEL:
            key = f"{mid}:{record.get('requestId') or ''}"
            # the request id as the key's text after its first colon (so also when ``mid`` holds one)
            rid = key[len(mid) + 1 :] if ":" not in mid else key.split(":", 1)[1]
            self._usage(key, mid, rid, model, usage, msg.get("stop_reason"), ts)
        content = msg.get("content")
        for i, block in enumerate(content if isinstance(content, list) else ()):
            if not isinstance(block, _MAPS):
                continue
            kind = block.get("type")
            if kind == "tool_use":
                self._tool_use(block, ts)
            elif kind in _THINKING:
                text = str(block.get("thinking") or "")
                data: dict[str, Any] = {"model": model, "response_id": mid, "provider": "anthropic"}
                data.update(chars=len(text), estimated_tokens=estimate_tokens(len(text)), redacted=not text)
                if self._capture:
                    data["content"] = scrub(text)
                self._emit(
                    new_event(
                        f"{self._st.sid}:think:{uuid}:{i}", str(self._st.sid), EventType.THINKING, ts, data
                    )
                )

    def _usage(
        self, key: str, mid: str, rid: str, model: str, usage: Mapping[str, Any], stop: object, ts: datetime
    ) -> None:
        st = self._st
        prev = st.responses.get(key)
        if prev is not None and prev.get("usage") == usage and (stop is None or prev["stop"]):
            return  # a later line of the same response repeating usage already counted (most lines)
        tokens = (
            _int(usage.get("input_tokens")),
            _int(usage.get("output_tokens")),
            _int(usage.get("cache_read_input_tokens")),
            _int(usage.get("cache_creation_input_tokens")),
        )
        stopped = stop is not None
        old: SessionEvent | None = None
        if prev is not None:  # most lines of a response repeat its usage: compare with the kept event
            old = _live(prev)
            old_tokens = (old.tokens_input, old.tokens_output, old.cache_read_tokens, old.cache_write_tokens)
            if tokens != old_tokens:
                tokens = tuple(max(a, b) for a, b in zip(tokens, old_tokens, strict=True))  # type: ignore[assignment]
            stopped = stopped or bool(prev["stop"])
            if tokens == old_tokens and stopped == prev["stop"]:
                prev["usage"] = usage
                return
            ts = old.timestamp
            if stopped and not prev["stop"]:
                st.count("incomplete", -1)
        else:
            st.models[model] += 1
            counts = st.counts  # ParserState.count, inline
            counts["responses"] = counts.get("responses", 0) + 1
            counts["incomplete"] = counts.get("incomplete", 0) + (0 if stopped else 1)
            if len(st.responses) >= _MAX_RESPONSES:
                st.responses.pop(next(iter(st.responses)))
        data: dict[str, Any] = {
            "model": model,
            "response_id": mid,
            "request_id": rid or None,
            "provider": "anthropic",
            "output_incomplete": not stopped,
        }
        if self._sidechain:  # a Task subagent's turn inside the main file: not the main thread's cache chain
            data["sidechain"] = True
        split = usage.get("cache_creation")
        if isinstance(split, _MAPS):  # 5-minute and 1-hour cache writes are priced differently
            old_data = old.data if old is not None else {}
            for source, name in _WRITE_TTLS:
                data[name] = max(_int(split.get(source)), _int(old_data.get(name)))
        i, o, cr, cw = tokens
        sid = st.sid
        event = new_event(
            f"{sid}:resp:{key}",
            str(sid),
            EventType.AI_RESPONSE,
            ts,
            data,
            i,
            o,
            cr,
            cw,
            name=model,
        )
        # the event is saved as state by state(); the line's usage (not saved) lets its repeats return early
        st.responses[key] = {"event": event, "stop": stopped, "usage": usage}
        self._emit(event)

    def _tool_use(self, block: Mapping[str, Any], ts: datetime) -> None:
        tid = str(block.get("id") or "")
        if not tid or tid in self._st.pending:
            return
        name = str(block.get("name") or "unknown")
        raw = block.get("input")
        args: Mapping[str, Any] = raw if isinstance(raw, _MAPS) else {}
        data: dict[str, Any] = {"tool": name, "tool_call_id": tid, "args_sha256": sha256_json(args)}
        command = args.get("command")
        if not isinstance(command, str):
            command = None
        mcp = name.rsplit("__", 1)[-1] if name.startswith("mcp__") else None
        shell_read = file_read_of(command) if name == "Bash" else None
        if name in _READ_TOOLS:
            etype = EventType.FILE_READ
            data.update(
                file_path=args.get(_READ_TOOLS[name]), offset=args.get("offset"), limit=args.get("limit")
            )
        elif name in _WRITE_TOOLS:
            etype = EventType.FILE_WRITE
            data["file_path"] = args.get(_WRITE_TOOLS[name])
            if isinstance(args.get("edits"), list):
                data["edits"] = len(args["edits"])
        elif mcp in _MCP_READS and isinstance(args.get(_MCP_READS[mcp]), str):
            etype = EventType.FILE_READ
            data.update(file_path=self._abs(args[_MCP_READS[mcp]]), offset=None, limit=args.get("head"))
            data["read_via"] = "mcp"
        elif mcp in _MCP_WRITES and isinstance(args.get(_MCP_WRITES[mcp]), str):
            etype = EventType.FILE_WRITE
            data["file_path"] = self._abs(args[_MCP_WRITES[mcp]])
        elif shell_read is not None:  # cat / head / tail / sed -n / nl / less of one file
            etype = EventType.FILE_READ
            data.update(shell_read, file_path=self._abs(shell_read["file_path"]), read_via="shell")
        else:
            etype = EventType.TOOL_CALL
            changed = file_writes_of(command) if name == "Bash" else None
            if changed == [ALL_FILES]:
                data["modifies_all"] = True
            elif changed:
                data["modifies"] = [self._abs(p) for p in changed]
        if self._capture:
            data["args"] = scrub_value(args)
        event = new_event(f"{self._st.sid}:tool:{tid}", str(self._st.sid), etype, ts, data, name=name)
        if len(self._st.pending) >= _MAX_PENDING:
            self._st.pending.pop(next(iter(self._st.pending)))
        self._st.pending[tid] = {"event": event, "command": command}  # saved as state by state()
        self._emit(event)

    def _abs(self, path: str) -> str:
        """A shell-relative path made absolute against the session's working directory (as Read paths are)."""
        cwd = self._st.meta.get("cwd")
        return os.path.join(cwd, path) if isinstance(cwd, str) and cwd and not os.path.isabs(path) else path

    def _user(self, record: Mapping[str, Any], ts: datetime, uuid: str) -> None:
        msg = record.get("message")
        if not isinstance(msg, _MAPS):
            raise ValueError("user line without a message object")
        content = msg.get("content")
        texts = [content] if isinstance(content, str) else []
        for block in content if isinstance(content, list) else ():
            if isinstance(block, _MAPS):
                kind = block.get("type")
                if kind == "tool_result":
                    self._tool_result(block, ts)
                elif kind == "text":
                    texts.append(str(block.get("text") or ""))
        if not texts or record.get("isCompactSummary"):
            return
        text = "\n".join(texts)
        if record.get("isMeta"):  # caveats, command output, skill text; reminders change the prompt
            if "<system-reminder>" in text:
                self._reminder(ts, uuid, len(text), sha256_text(text), "meta")
            return
        data: dict[str, Any] = {"chars": len(text), "content_sha256": sha256_text(text)}
        if "<system-reminder>" in text:
            data["system_reminder"] = True
        if text.startswith("[Request interrupted"):
            data["interrupted"] = True
        if self._capture:
            data["content"] = shown = scrub(text)
            if not self._st.task and not data.get("interrupted"):
                self._st.task = shown[:500]
        self._emit(
            new_event(f"{self._st.sid}:user:{uuid}", str(self._st.sid), EventType.USER_MESSAGE, ts, data)
        )

    def _attachment(self, record: Mapping[str, Any], ts: datetime, uuid: str) -> None:
        """An attachment line (hook output, todo/plan reminder, tool delta): a reminder unless a queued prompt."""
        body = record.get("attachment")
        att: Mapping[str, Any] = body if isinstance(body, _MAPS) else {}
        kind = str(att.get("type") or "attachment")
        if kind not in _USER_ATTACHMENTS:
            text = str(att.get("content") or att.get("text") or att.get("output") or "")
            self._reminder(ts, uuid, len(text), sha256_json(att), kind)

    def _reminder(self, ts: datetime, uuid: str, chars: int, digest: str, kind: str) -> None:
        """A system reminder inserted by Claude Code in a meta line (a sidechain's belongs to its subagent)."""
        if self._sidechain:
            return
        data: dict[str, Any] = {
            "chars": chars,
            "content_sha256": digest,
            "system_reminder": True,
            "meta": True,
            "reminder": kind,
        }
        sid = str(self._st.sid)
        self._emit(new_event(f"{sid}:reminder:{uuid}", sid, EventType.USER_MESSAGE, ts, data))

    def _tool_result(self, block: Mapping[str, Any], ts: datetime) -> None:
        tid = str(block.get("tool_use_id") or "")
        pending = self._st.pending.pop(tid, None)
        text, tokens = content_size(block.get("content"))
        failed = bool(block.get("is_error"))
        shown = scrub(text) if self._capture else ""  # what is stored of the result
        tool: str | None = None
        if pending is not None:
            event = _live(pending)
            tool = event.name
            data = dict(event.data)
            digest_key = "content_sha256" if event.event_type is EventType.FILE_READ else "result_sha256"
            data.update({"result_tokens": tokens, digest_key: sha256_text(text)})
            # Claude Code appends reminders to tool results: they change the cached prefix
            if "<system-reminder>" in text:
                data["system_reminder"] = True
            if failed:
                data["failed"] = True
            if self._capture:
                data["result"] = shown
            duration = max(0.0, (ts - event.timestamp).total_seconds() * 1000)
            self._emit(  # the pending call completed (positional: dataclasses.replace is ~5x slower)
                new_event(
                    event.id,
                    event.session_id,
                    event.event_type,
                    event.timestamp,
                    data,
                    event.tokens_input,
                    event.tokens_output,
                    event.cache_read_tokens,
                    event.cache_write_tokens,
                    event.reasoning_tokens,
                    duration,
                    event.name,
                    event.is_error,
                    event.error_type,
                    event.seq,
                )
            )
        if failed:
            kind = classify_error(text, command=pending["command"] if pending else None)
            message = shown[:2000] if self._capture else f"{tool or 'tool'} failed ({kind.value})"
            data = {"message": message, "message_sha256": sha256_text(text), "error_kind": kind.value}
            data.update(tool=tool, tool_call_id=tid or None, user_feedback=user_feedback(text))
            event = new_event(
                f"{self._st.sid}:err:{tid}",
                str(self._st.sid),
                EventType.ERROR,
                ts,
                data,
                name=tool,
                is_error=True,
                error_type=kind.value,
            )
            self._emit(event)

    def _system(self, record: Mapping[str, Any], ts: datetime, uuid: str) -> None:
        subtype = record.get("subtype")
        if subtype == "api_error":
            self._st.count("api_errors")
        elif subtype == "compact_boundary":
            info = record.get("compactMetadata")
            meta: Mapping[str, Any] = info if isinstance(info, _MAPS) else {}
            data = {"trigger": meta.get("trigger"), "pre_tokens": meta.get("preTokens")}
            self._emit(
                new_event(f"{self._st.sid}:compact:{uuid}", str(self._st.sid), EventType.COMPACTION, ts, data)
            )


def _live(entry: dict[str, Any]) -> SessionEvent:
    """The event of a pending call or response: kept as is while parsing, rebuilt once from a resumed cursor."""
    event = entry["event"]
    if not isinstance(event, SessionEvent):
        event = entry["event"] = event_from_state(event)
    return event


def _saved(entry: dict[str, Any]) -> dict[str, Any]:
    """``entry`` as the JSON-able state kept in import cursors (its event as :func:`event_to_state`)."""
    event = entry["event"]
    saved = {k: v for k, v in entry.items() if k != "usage"}
    if isinstance(event, SessionEvent):
        saved["event"] = event_to_state(event)
    return saved


class ClaudeCodeImporter:
    """The ``claude-code`` source: transcripts under ``~/.claude/projects`` (or ``$CLAUDE_CONFIG_DIR``)."""

    name = "claude-code"
    whole_file = False

    def default_paths(self) -> list[Path]:
        """``$CLAUDE_CONFIG_DIR/projects`` when set, else ``~/.claude/projects``."""
        root = os.environ.get("CLAUDE_CONFIG_DIR")
        return [Path(root).expanduser() / "projects" if root else Path.home() / ".claude" / "projects"]

    def discover(self, path: Path) -> Iterator[Path]:
        """The ``.jsonl`` transcripts at ``path`` (subagent transcripts included), sorted."""
        return discover_jsonl(path)

    def parser(
        self, path: Path, *, agent: str | None, capture_content: bool, state: Mapping[str, Any] | None
    ) -> ClaudeCodeParser:
        """A parser for one transcript."""
        return ClaudeCodeParser(
            path, agent=agent or "claude-code", capture_content=capture_content, state=state
        )


def load_transcript(
    path: str | os.PathLike[str], *, agent: str = "claude-code", capture_content: bool = False
) -> ImportedSession:
    """Load one Claude Code transcript into memory (raises ImportSourceError if unreadable or empty)."""
    return load_file(ClaudeCodeImporter(), Path(path), agent=agent, capture_content=capture_content)
