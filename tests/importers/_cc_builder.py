"""Builds synthetic Claude Code transcripts (the JSONL shape of Claude Code 2.0.x) for importer+analysis tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

T0 = datetime(2026, 1, 21, 10, 0, tzinfo=UTC)


class Transcript:
    """Appends assistant tool calls and their results; each step advances the clock ``step`` seconds."""

    def __init__(self, cwd: str = "/work/proj", step: float = 5.0, model: str = "claude-sonnet-4-5") -> None:
        self.lines: list[dict[str, Any]] = []
        self.t = T0
        self.step = step
        self.cwd = cwd
        self.model = model
        self.n = 0

    def _stamp(self, gap: float | None) -> str:
        self.t += timedelta(seconds=self.step if gap is None else gap)
        return self.t.isoformat().replace("+00:00", "Z")

    def _base(self, kind: str, gap: float | None = None, **extra: Any) -> dict[str, Any]:
        self.n += 1
        return {
            "type": kind,
            "sessionId": "sess",
            "uuid": f"u{self.n}",
            "cwd": self.cwd,
            "timestamp": self._stamp(gap),
            **extra,
        }

    def call(
        self,
        tool: str,
        args: dict[str, Any],
        result: str,
        *,
        error: bool = False,
        usage: dict[str, Any] | None = None,
        gap: float | None = None,
        **extra: Any,
    ) -> str:
        """A model call using one tool, and the tool's result; returns the tool-use id."""
        tid = f"toolu_{self.n + 1}"
        block = {"type": "tool_use", "id": tid, "name": tool, "input": args}
        message = {
            "id": f"msg_{self.n + 1}",
            "model": self.model,
            "content": [block],
            "stop_reason": "tool_use",
            "usage": usage or {"input_tokens": 10, "output_tokens": 20},
        }
        self.lines.append(
            self._base("assistant", gap, requestId=f"req_{self.n + 1}", message=message, **extra)
        )
        content = [{"type": "tool_result", "tool_use_id": tid, "is_error": error, "content": result}]
        self.lines.append(self._base("user", message={"role": "user", "content": content}, **extra))
        return tid

    def write(self, path: Path) -> Path:
        """Write the transcript to ``path``."""
        path.write_text("\n".join(json.dumps(x) for x in self.lines) + "\n", encoding="utf-8")
        return path
