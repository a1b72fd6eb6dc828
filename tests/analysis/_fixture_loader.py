"""TEST-ONLY loader of the real transcripts in ../shared/fixtures/sessions into Session + SessionEvent lists.

It exists so the detectors can be checked on real sessions before the importers land; it follows the same
rules the importers must (usage counted once per message id + request id, tool results sized at ~4 chars per
token, Read/Edit/Write mapped to FILE_READ/FILE_WRITE). It is not product code.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sessionoptimizer_sdk.models import EventType, Session, SessionEvent, SessionStatus
from tests._paths import FIXTURES as FIXTURES

_WRITE_TOOLS = {"Edit", "MultiEdit", "Write", "NotebookEdit"}


def _sha(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


def _ts(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def load_claude_code(path: Path) -> tuple[Session, list[SessionEvent]]:
    """A Claude Code JSONL transcript as one session (usage once per message id + request id)."""
    sid = path.stem
    events: list[SessionEvent] = []
    usage: dict[tuple[str, str], dict[str, Any]] = {}
    uses: dict[str, dict[str, Any]] = {}
    model, first, last = "unknown", None, None
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        if "timestamp" not in rec:
            continue
        ts = _ts(rec["timestamp"])
        first, last = first or ts, ts
        msg = rec.get("message")
        if not isinstance(msg, dict):
            continue
        if rec.get("type") == "assistant":
            model = msg.get("model", model)
            key = (msg.get("id", ""), rec.get("requestId", ""))
            u = msg.get("usage") or {}
            seen = usage.get(key)
            if seen is None:
                usage[key] = {"ts": ts, "u": u, "model": msg.get("model")}
            elif u.get("output_tokens", 0) > seen["u"].get("output_tokens", 0):
                seen["u"] = u
        content = msg.get("content")
        if not isinstance(content, list):
            continue
        for block in content:
            if block.get("type") == "tool_use":
                uses[block["id"]] = {"name": block["name"], "input": block.get("input", {})}
            elif block.get("type") == "tool_result" and block.get("tool_use_id") in uses:
                events.append(_tool_event(sid, uses[block["tool_use_id"]], block, ts, len(events)))
    for (mid, _), rec in usage.items():
        u = rec["u"]
        events.append(
            SessionEvent(
                id=f"{sid}:{mid}",
                session_id=sid,
                event_type=EventType.AI_RESPONSE,
                timestamp=rec["ts"],
                data={"model": rec["model"] or model, "response_id": mid},
                tokens_input=u.get("input_tokens", 0),
                tokens_output=u.get("output_tokens", 0),
                cache_read_tokens=u.get("cache_read_input_tokens", 0),
                cache_write_tokens=u.get("cache_creation_input_tokens", 0),
                seq=len(events),
            )
        )
    start = first or datetime(2025, 1, 1, tzinfo=UTC)
    session = Session(sid, "claude-code", "fixture", model, SessionStatus.COMPLETED, start, last or start)
    return session, events


def _tool_event(sid: str, use: dict[str, Any], block: dict[str, Any], ts: datetime, seq: int) -> SessionEvent:
    name, args = use["name"], use["input"]
    result = _text(block.get("content"))
    is_error = bool(block.get("is_error"))
    data: dict[str, Any] = {
        "tool": name,
        "tool_call_id": block["tool_use_id"],
        "result_tokens": len(result) // 4,
    }
    if is_error:
        data["message"] = result[:500]
    if name == "Read":
        kind = EventType.FILE_READ
        data |= {"file_path": args.get("file_path"), "content_sha256": _sha(result)}
        data |= {k: args[k] for k in ("offset", "limit") if isinstance(args.get(k), int)}
    elif name in _WRITE_TOOLS:
        kind = EventType.FILE_WRITE
        data["file_path"] = args.get("file_path") or args.get("notebook_path")
    else:
        kind = EventType.TOOL_CALL
        data |= {"args_sha256": _sha(args), "result_sha256": _sha(result)}
        if isinstance(args.get("command"), str):
            data["command"] = args["command"][:200]
    return SessionEvent(
        id=f"{sid}:{block['tool_use_id']}",
        session_id=sid,
        event_type=kind,
        timestamp=ts,
        data=data,
        is_error=is_error,
        name=name,
        seq=seq,
    )


_FILE = re.compile(r"\[File: (\S+) \(\d+ lines total\)\]")


def load_swe_agent(path: Path) -> tuple[Session, list[SessionEvent]]:
    """A SWE-agent ``.traj`` as one session; per-call prompt sizes scaled to the run's ``tokens_sent``."""
    traj = json.loads(path.read_text())
    sid = re.sub(r"[^A-Za-z0-9._-]", "-", path.stem)
    stats = traj["info"].get("model_stats", {})
    steps = traj["trajectory"]
    history = traj["history"]
    prompt_chars, chars, k = [], 0, 0
    for h in history:
        if h["role"] == "assistant" and k < len(steps):
            prompt_chars.append(chars)
            k += 1
        chars += len(h.get("content") or "")
    prompt_chars += [chars] * (len(steps) - len(prompt_chars))
    scale = stats.get("tokens_sent", 0) / max(sum(prompt_chars), 1)
    out_scale = stats.get("tokens_received", 0) / max(sum(len(s["response"]) for s in steps), 1)
    t0 = datetime(2024, 4, 1, 12, 0, tzinfo=UTC)
    events: list[SessionEvent] = []
    current_file = None
    for i, step in enumerate(steps):
        ts = t0 + timedelta(seconds=30 * i)
        events.append(
            SessionEvent(
                id=f"step{i}:call",
                session_id=sid,
                event_type=EventType.AI_RESPONSE,
                timestamp=ts,
                data={"model": "gpt-4"},
                tokens_input=round(prompt_chars[i] * scale),
                tokens_output=round(len(step["response"]) * out_scale),
                seq=2 * i,
            )
        )
        action, obs = step["action"].strip(), step["observation"] or ""
        tool = action.split()[0] if action else "noop"
        match = _FILE.search(obs)
        failed = "Your proposed edit has introduced new syntax error" in obs
        data: dict[str, Any] = {
            "tool": tool,
            "args_sha256": _sha(action),
            "result_sha256": _sha(obs),
            "result_tokens": len(obs) // 4,
        }
        if failed:
            data["message"] = obs[:300]
        if tool == "edit":
            kind = EventType.FILE_WRITE
            data["file_path"] = current_file
        else:
            kind = EventType.TOOL_CALL
        if match and not failed:
            current_file = match.group(1)
        events.append(
            SessionEvent(
                id=f"step{i}:action",
                session_id=sid,
                event_type=kind,
                timestamp=ts + timedelta(seconds=5),
                data=data,
                is_error=failed,
                seq=2 * i + 1,
            )
        )
    session = Session(
        sid,
        "swe-agent",
        "fixture",
        "gpt-4",
        SessionStatus.COMPLETED,
        t0,
        t0 + timedelta(seconds=30 * len(steps)),
    )
    return session, events


def claude_code_paths() -> list[Path]:
    """Every Claude Code transcript in the fixtures (subagents included)."""
    return sorted(FIXTURES.glob("claude-code-*/**/*.jsonl"))


def swe_agent_paths() -> list[Path]:
    """Every SWE-agent trajectory in the fixtures."""
    return sorted(FIXTURES.glob("swe-agent/**/*.traj"))
