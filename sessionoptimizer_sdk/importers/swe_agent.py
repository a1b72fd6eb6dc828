"""SWE-agent trajectories (``*.traj``, one JSON document per run) to sessions and events.

A trajectory lists steps (action, observation) and, in ``info.model_stats``, only the run's token totals. The
totals are split over the model calls in proportion to each call's prompt (and reply) size in ``history``, so
per-call figures are estimates (marked ``tokens_estimated``) whose sum is exact.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sessionoptimizer_sdk._internal.tokens import count_or_zero
from sessionoptimizer_sdk.models import ErrorKind, EventType, Session, SessionEvent, SessionStatus

from ._classify import classify_error
from ._common import estimate_tokens, safe_session_id, sha256_text, text_of
from ._reader import load_file
from ._scrub import scrub
from .base import ImportedSession

__all__ = ["SweAgentImporter", "SweAgentParser", "load_trajectory"]

_FILE_HEADER = re.compile(r"\[File: (.+?) \((\d+) lines total\)\]")
_ABOVE = re.compile(r"\((\d+) more lines above\)")
_NUMBERED = re.compile(r"^\d+:", re.M)
_MODEL_NAME = re.compile(r"^\s*model_name:\s*['\"]?([^'\"\s#]+)", re.M)
#: SWE-agent 0.x's own ``SHORTCUTS`` (``sweagent/agent/models.py``): the model a ``model_name`` ran. Priced as
#: ``gpt-4`` (the spec's alias), a ``gpt4`` run cost 3x what SWE-agent itself reported.
_SHORTCUTS = {
    "gpt3": "gpt-3.5-turbo-1106",
    "gpt3-legacy": "gpt-3.5-turbo-16k-0613",
    "gpt3-0125": "gpt-3.5-turbo-0125",
    "gpt4": "gpt-4-1106-preview",
    "gpt4-legacy": "gpt-4-0613",
    "gpt4-0125": "gpt-4-0125-preview",
    "claude-2": "claude-2.1",
    "claude-opus": "claude-3-opus-20240229",
    "claude-sonnet": "claude-3-sonnet-20240229",
    "claude-haiku": "claude-3-haiku-20240307",
    "claude-sonnet-3.5": "claude-3-5-sonnet-20240620",
}
_EDIT_REJECTED = "your proposed edit has introduced new syntax error"
_FAILURE = re.compile(
    r"(?:Traceback \(most recent call last\)|command not found|No such file or directory|^(?:Error|ERROR)\b"
    r"|^usage: |SyntaxError: |is not a valid|could not be found)",
    re.M,
)
_RUNS_CODE = re.compile(r"^(?:python3?|pytest|py\.test|bash|sh|node)\b")
_READ_ACTIONS = {"open", "goto", "scroll_up", "scroll_down"}
_WRITE_ACTIONS = {"edit", "create", "insert", "append"}
_MAX_STEP_SECONDS = 86_400.0  #: longest plausible step: SWE-agent's command timeouts are minutes


def _normalise(text: str) -> str:
    """Line endings unified and trailing blanks removed: equal actions or observations hash equally."""
    return "\n".join(
        line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n")
    )


def _total(value: object) -> int:
    """A run total from ``model_stats`` (a number or numeric text) as a bounded token count, else 0."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return 0
    return count_or_zero(value)


def _step_seconds(step: object) -> float:
    """A step's ``execution_time`` when it is a plausible duration (0 .. one day), else 1 s.

    Unbounded values (1e300, infinity, negative) would overflow or reorder the derived timestamps.
    """
    elapsed = step.get("execution_time") if isinstance(step, Mapping) else None
    if (
        isinstance(elapsed, int | float)
        and not isinstance(elapsed, bool)
        and 0 <= elapsed <= _MAX_STEP_SECONDS
    ):
        return float(elapsed)
    return 1.0


def _split(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder: parts sum to ``total``)."""
    if not weights:
        return []
    if not sum(weights):
        weights = [1] * len(weights)
    shares = [total * w / sum(weights) for w in weights]
    parts = [int(s) for s in shares]
    order = sorted(range(len(shares)), key=lambda i: shares[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


class SweAgentParser:
    """Parser of one whole trajectory document (see :class:`~.base.TranscriptParser`)."""

    def __init__(self, path: Path, *, agent: str, capture_content: bool) -> None:
        self._path = path
        self._agent = agent
        self._capture = capture_content
        self._sid = safe_session_id(path.stem)
        self._session: Session | None = None
        self._meta: dict[str, Any] = {}
        self._out: list[SessionEvent] = []

    def feed(self, record: Mapping[str, Any], line: int) -> None:
        """Consume the whole trajectory document."""
        steps = record.get("trajectory")
        if not isinstance(steps, list):
            raise ValueError("no 'trajectory' list")
        raw_info = record.get("info")
        info: Mapping[str, Any] = raw_info if isinstance(raw_info, Mapping) else {}
        raw_stats = info.get("model_stats")
        stats: Mapping[str, Any] = raw_stats if isinstance(raw_stats, Mapping) else {}
        model = self._model()
        started = datetime.fromtimestamp(self._path.stat().st_mtime, UTC)
        api_calls = stats.get("api_calls")
        calls = api_calls if isinstance(api_calls, int) and api_calls > 0 else 0
        prompts, replies = self._call_sizes(record.get("history"), steps, calls)
        sent = _split(_total(stats.get("tokens_sent")), prompts)
        received = _split(_total(stats.get("tokens_received")), replies)
        when = started
        stamps = []
        for step in steps:
            stamps.append(when)
            when += timedelta(seconds=_step_seconds(step))
        current_file: str | None = None
        for n, (i, o) in enumerate(zip(sent, received, strict=True)):
            ts = stamps[min(len(stamps) - 1, n * len(stamps) // max(len(sent), 1))] if stamps else started
            data = {"model": model, "provider": None, "response_id": None, "tokens_estimated": True}
            self._out.append(
                SessionEvent(
                    f"{self._sid}:resp:{n}", self._sid, EventType.AI_RESPONSE, ts, data, i, o, name=model
                )
            )
        for n, step in enumerate(steps):
            if isinstance(step, Mapping):
                current_file = self._step(n, step, stamps[n], current_file)
        problem = record.get("problem_statement") or info.get("problem_statement")
        task = (
            scrub(text_of(problem))[:500] if self._capture and problem else f"SWE-agent run {self._path.stem}"
        )
        self._meta.update(
            source="swe-agent",
            source_path=str(self._path.resolve()),
            exit_status=info.get("exit_status"),
            api_calls=stats.get("api_calls"),
            reported_cost_usd=stats.get("instance_cost", stats.get("total_cost")),
            tokens_estimated=True,
            steps=len(steps),
        )
        self._session = Session(
            self._sid, self._agent, task, model, SessionStatus.COMPLETED, started, when, self._meta
        )

    def _model(self) -> str:
        args = self._path.parent / "args.yaml"
        try:
            match = _MODEL_NAME.search(args.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            match = None
        if match:
            name = match.group(1)
        elif "__" in self._path.parent.name:
            name = self._path.parent.name.split("__", 1)[0]  # the run folder starts with the model_name
        else:
            return "unknown"
        return _SHORTCUTS.get(name.removeprefix("azure:"), name)

    @staticmethod
    def _call_sizes(history: object, steps: Sequence[object], api_calls: int) -> tuple[list[int], list[int]]:
        """(prompt chars, reply chars) of each model call, from the message history.

        The history is saved before the last call, so calls it lacks (up to ``api_calls`` or one per step) are
        sized from the whole history and the matching step's response.
        """
        prompts: list[int] = []
        replies: list[int] = []
        running = 0
        for msg in history if isinstance(history, list) else ():
            if not isinstance(msg, Mapping):
                continue
            size = len(text_of(msg.get("content")))
            if msg.get("role") == "assistant" and not msg.get("is_demo"):
                prompts.append(running)
                replies.append(size)
            running += size
        for n in range(len(prompts), max(api_calls, len(steps))):
            step = steps[n] if n < len(steps) else None
            reply = step.get("response") if isinstance(step, Mapping) else None
            prompts.append(running)
            replies.append(len(reply) if isinstance(reply, str) else 1)
        return prompts, replies

    def _step(self, n: int, step: Mapping[str, Any], ts: datetime, current_file: str | None) -> str | None:
        action = _normalise(str(step.get("action") or ""))
        observation = _normalise(str(step.get("observation") or ""))
        words = action.split(maxsplit=2)
        tool = words[0] if words else "noop"
        header = _FILE_HEADER.search(observation)
        shown = header.group(1) if header else None
        data: dict[str, Any] = {"tool": tool, "tool_call_id": f"step{n}", "args_sha256": sha256_text(action)}
        data.update(result_sha256=sha256_text(observation), result_tokens=estimate_tokens(len(observation)))
        if self._capture:
            data.update(args=scrub(action), result=scrub(observation))
        etype = EventType.TOOL_CALL
        if tool in _READ_ACTIONS and shown:
            above = _ABOVE.search(observation)
            etype = EventType.FILE_READ
            data.update(file_path=shown, offset=int(above.group(1)) + 1 if above else 1)
            data.update(limit=len(_NUMBERED.findall(observation)), content_sha256=data.pop("result_sha256"))
        elif tool in _WRITE_ACTIONS:
            etype = EventType.FILE_WRITE
            target = words[1].strip("'\"") if tool == "create" and len(words) > 1 else current_file
            data["file_path"] = target
        failed = _EDIT_REJECTED in observation.lower() or _FAILURE.search(observation) is not None
        if failed:
            data["failed"] = True
        step_id = f"{self._sid}:step:{n}"
        self._out.append(SessionEvent(step_id, self._sid, etype, ts, data, name=tool))
        if failed:
            kind = classify_error(observation, command=action)
            if kind is ErrorKind.AGENT_ERROR and _RUNS_CODE.match(action) and "Traceback" in observation:
                kind = ErrorKind.TEST_FAILURE  # the program under test failed, not the agent's command
            message = scrub(observation)[:2000] if self._capture else f"{tool} failed ({kind.value})"
            err: dict[str, Any] = {"message": message, "message_sha256": sha256_text(observation)}
            err["error_kind"] = kind.value
            err.update(tool=tool, tool_call_id=f"step{n}", attempt=None)
            self._out.append(
                SessionEvent(
                    f"{self._sid}:err:{n}",
                    self._sid,
                    EventType.ERROR,
                    ts,
                    err,
                    name=tool,
                    is_error=True,
                    error_type=kind.value,
                )
            )
        return shown or (data.get("file_path") if etype is EventType.FILE_WRITE else current_file)

    def take_events(self) -> list[SessionEvent]:
        """Events created since the last call."""
        out, self._out = self._out, []
        return out

    def session(self, status: SessionStatus) -> Session | None:
        """The run's session (always COMPLETED: a trajectory is written when the run ends)."""
        return self._session

    def state(self) -> dict[str, Any]:
        """Trajectories are re-read whole when they change: nothing to resume."""
        return {}


class SweAgentImporter:
    """The ``swe-agent`` source: ``*.traj`` files under a trajectories folder."""

    name = "swe-agent"
    whole_file = True

    def default_paths(self) -> list[Path]:
        """SWE-agent writes ``trajectories/<user>/<run>/`` below the folder it runs in."""
        return [Path.cwd() / "trajectories"]

    def discover(self, path: Path) -> Iterator[Path]:
        """The ``.traj`` files at ``path``, sorted."""
        if path.is_file():
            yield path
        else:
            yield from sorted(p for p in path.rglob("*.traj") if p.is_file())

    def parser(
        self, path: Path, *, agent: str | None, capture_content: bool, state: Mapping[str, Any] | None
    ) -> SweAgentParser:
        """A parser for one trajectory."""
        return SweAgentParser(path, agent=agent or "swe-agent", capture_content=capture_content)


def load_trajectory(
    path: str | os.PathLike[str], *, agent: str = "swe-agent", capture_content: bool = False
) -> ImportedSession:
    """Load one SWE-agent trajectory into memory (raises ImportSourceError if unreadable or malformed)."""
    return load_file(SweAgentImporter(), Path(path), agent=agent, capture_content=capture_content)
