"""Session lifecycle commands: ``start``, ``log``, ``end`` (each may run in a different shell) and ``delete``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from .._internal import validate
from ..errors import InvalidEventData, InvalidInputError
from ..models import EventType, SessionStatus
from ..server.serialize import event_to_dict, session_to_dict
from ._common import format_option, get_state, print_json, stdout_console
from ._written import LossWatch, sdk_log_held

if TYPE_CHECKING:
    from ..optimizer import SessionOptimizer


def _watch(opt: SessionOptimizer) -> LossWatch:
    """A loss watch over ``opt``'s store, taken before the command writes."""
    return LossWatch(getattr(opt.store, "path", None))


@click.command()
@click.argument("agent")
@click.argument("task")
@click.option("--model", "-m", default=None, help="Model the session uses (default: the configured default).")
@click.option("--session-id", default=None, help="Use this id instead of a generated one.")
@click.option("--meta", "meta", multiple=True, metavar="KEY=VALUE", help="Session metadata (repeatable).")
@format_option("text", "json")
def start(
    agent: str, task: str, model: str | None, session_id: str | None, meta: tuple[str, ...], fmt: str
) -> None:
    """Start a session and print its id; log to and end it from any shell."""
    metadata = _pairs(meta, "--meta") if meta else None
    opt = get_state().optimizer()
    with sdk_log_held():
        watch = _watch(opt)
        session = opt.start_session(agent, task, model, session_id, metadata, detached=True)
        if not opt.flush(timeout=30) or opt.store.find_session(session.id) is None:
            raise watch.not_stored(f"session {session.id}")
    if fmt == "json":
        print_json(session_to_dict(session))
    else:
        click.echo(session.id)


def _value(raw: str) -> Any:
    """A ``--data`` value: JSON when it parses (numbers, true/false, null, lists), else the text itself."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _pairs(items: tuple[str, ...], option: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"{option} expects KEY=VALUE, got {item!r}")
        out[key.strip()] = _value(raw)
    return out


def _event_data(data: tuple[str, ...], data_json: str | None) -> dict[str, Any] | None:
    if data and data_json is not None:
        raise InvalidInputError("use either --data KEY=VALUE or --data-json, not both")
    if data_json is not None:
        try:
            parsed = json.loads(data_json)
        except (ValueError, RecursionError) as exc:
            raise InvalidEventData(f"--data-json is not valid JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise InvalidEventData(f"--data-json must be a JSON object, got {type(parsed).__name__}")
        return parsed
    return _pairs(data, "--data") if data else None


@click.command()
@click.argument("session_id")
@click.argument("event_type")
@click.option("--tokens-input", type=int, default=0, help="Uncached input tokens billed by this event.")
@click.option("--tokens-output", type=int, default=0, help="Output tokens billed by this event.")
@click.option("--cache-read", type=int, default=0, help="Cache-read input tokens.")
@click.option("--cache-write", type=int, default=0, help="Cache-write input tokens.")
@click.option("--reasoning", type=int, default=0, help="Thinking tokens (part of the output tokens).")
@click.option("--duration-ms", type=float, default=None, help="How long the event took.")
@click.option(
    "--data", "data", multiple=True, metavar="KEY=VALUE", help="Event data (repeatable; JSON values)."
)
@click.option("--data-json", default=None, metavar="JSON", help="Event data as one JSON object.")
@format_option("text", "json")
def log(
    session_id: str,
    event_type: str,
    tokens_input: int,
    tokens_output: int,
    cache_read: int,
    cache_write: int,
    reasoning: int,
    duration_ms: float | None,
    data: tuple[str, ...],
    data_json: str | None,
    fmt: str,
) -> None:
    """Log one event (EVENT_TYPE: THINKING, AI_RESPONSE, FILE_READ, TOOL_CALL, ERROR, ...) to an active session."""
    etype = EventType.parse(event_type)  # validate everything before touching the store
    payload = validate.data(_event_data(data, data_json), "--data")
    for name, value in (
        ("--tokens-input", tokens_input),
        ("--tokens-output", tokens_output),
        ("--cache-read", cache_read),
        ("--cache-write", cache_write),
        ("--reasoning", reasoning),
    ):
        validate.token_count(name, value)
    duration_ms = validate.duration_ms(duration_ms)
    opt = get_state().optimizer()
    with sdk_log_held():
        watch = _watch(opt)
        event = opt.log_event(
            session_id,
            etype,
            payload,
            tokens_input,
            tokens_output,
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
            reasoning_tokens=reasoning,
            duration_ms=duration_ms,
        )
        if not opt.flush(timeout=30) or not _event_stored(opt, event.session_id, event.id):
            raise watch.not_stored(f"event {event.id}")
    if fmt == "json":
        print_json(event_to_dict(event))
    else:
        click.echo(event.id)


def _event_stored(opt: SessionOptimizer, session_id: str, event_id: str) -> bool:
    """True when the store holds the event (read back: the writer never raises a failed commit)."""
    rows = opt.store.query(
        "SELECT 1 FROM events WHERE session_id = ? AND id = ? LIMIT 1", (session_id, event_id)
    )
    return bool(rows)


@click.command()
@click.argument("session_id")
@click.option(
    "--status",
    type=click.Choice(
        [s.value for s in SessionStatus if s is not SessionStatus.ACTIVE], case_sensitive=False
    ),
    default=SessionStatus.COMPLETED.value,
    show_default=True,
    help="Final status.",
)
@format_option("text", "json")
def end(session_id: str, status: str, fmt: str) -> None:
    """End a session (started in any shell); its analysis runs and is stored."""
    opt = get_state().optimizer()
    with sdk_log_held() as held:
        watch = _watch(opt)
        session = opt.end_session(session_id, status)
        stored = opt.store.find_session(session.id) if opt.flush(timeout=30) else None
        if stored is None or stored.status is SessionStatus.ACTIVE:
            raise watch.not_stored(f"the end of session {session.id}")
        if opt.settings.auto_analyze:
            opt.flush(timeout=30, analysis=True)
            if opt.store.get_report(session.id) is None:  # the end is stored: warn, then report success
                held.discard()
                click.echo(
                    f"warning: {watch.not_stored('its report')}; run `sessionoptimizer analyze {session.id}`",
                    err=True,
                )
    if fmt == "json":
        print_json(session_to_dict(session))
        return
    console = stdout_console()
    console.print(
        f"Ended [bold]{session.id}[/] as {session.status.value}: {session.event_count} events, "
        f"{session.tokens.total_tokens:,} tokens, {int(session.duration_seconds)} s",
        markup=True,
    )


@click.command()
@click.argument("session_id")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@format_option("text", "json")
def delete(session_id: str, yes: bool, fmt: str) -> None:
    """Delete a session with its events, report and alerts."""
    opt = get_state().optimizer()
    session = opt.get_session(session_id)  # unknown id: exit 2 before asking anything
    if not yes:
        click.confirm(f"Delete session {session.id} ({session.agent}: {session.task})?", abort=True, err=True)
    deleted = opt.delete_session(session.id)
    if fmt == "json":
        print_json({"id": session.id, "deleted": deleted})
    else:
        click.echo(f"Deleted {session.id}")
