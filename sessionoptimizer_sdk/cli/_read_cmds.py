"""Read commands: ``list``, ``show`` (events timeline), ``stats`` (agent) and ``compare``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from .._internal.validate import MAX_DAYS
from ..models import Session, SessionStatus
from ..server.serialize import event_to_dict, session_to_dict
from ._common import (
    MAX_LIMIT,
    MAX_OFFSET,
    escape,
    format_option,
    get_state,
    new_table,
    parse_when,
    print_json,
    stdout_console,
)
from ._style import score_text, status_text


def _when(dt: datetime | None) -> str:
    return dt.astimezone().strftime("%Y-%m-%d %H:%M:%S") if dt else "-"


def _duration(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


@click.command("list")
@click.option("--agent", "-a", default=None, help="Only this agent.")
@click.option(
    "--status",
    "-s",
    type=click.Choice([s.value for s in SessionStatus], case_sensitive=False),
    default=None,
    help="Only this status.",
)
@click.option("--since", default=None, help="Started after: 30m, 24h, 7d, 2w or an ISO date.")
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(1, MAX_LIMIT),
    default=20,
    show_default=True,
    help="At most N sessions.",
)
@click.option("--host", default=None, help="Only sessions recorded on this machine (team server).")
@click.option("--source", default=None, help="Only this source: sdk, claude_code, codex, import.")
@format_option("text", "json")
def list_sessions(
    agent: str | None,
    status: str | None,
    since: str | None,
    limit: int,
    fmt: str,
    host: str | None = None,
    source: str | None = None,
) -> None:
    """List sessions, newest first (with the machine and source each was recorded from)."""
    from ..server._queries import scores_for

    opt = get_state().optimizer()
    when = parse_when(since) if since is not None else None
    if host is None and source is None:
        sessions = opt.list_sessions(agent, status, when, limit)
    else:
        wanted = set(opt.store.session_ids_by_origin(host=host, source=source, limit=100_000))
        sessions = [s for s in opt.list_sessions(agent, status, when, None) if s.id in wanted][:limit]
    scores = scores_for(opt.store, [s.id for s in sessions])
    origins = opt.store.session_origins([s.id for s in sessions])
    if fmt == "json":
        items = []
        for s in sessions:
            row = scores.get(s.id)
            item = session_to_dict(s, efficiency_score=row.efficiency_score if row else None)
            item["host"], item["source"] = origins.get(s.id, (None, None))
            items.append(item)
        print_json({"sessions": items})
        return
    table = new_table(title=f"{len(sessions)} session(s)", title_justify="left")
    for col, kw in (
        ("Session", {"overflow": "fold", "min_width": 36}),
        ("Agent", {"overflow": "fold", "max_width": 14}),
        ("Task", {"overflow": "ellipsis", "max_width": 24}),
        ("Status", {"no_wrap": True, "min_width": 9}),
        ("Started", {"no_wrap": True, "min_width": 19}),
        ("Duration", {"justify": "right", "no_wrap": True, "min_width": 8}),
        ("Events", {"justify": "right", "no_wrap": True, "min_width": 6}),
        ("Tokens", {"justify": "right", "no_wrap": True, "min_width": 9}),
        ("Efficiency", {"justify": "right", "no_wrap": True, "min_width": 10}),
        ("Host", {"overflow": "fold", "max_width": 16}),
        ("Source", {"no_wrap": True}),
    ):
        table.add_column(col, **kw)
    for s in sessions:
        row = scores.get(s.id)
        table.add_row(
            escape(s.id),
            escape(s.agent),
            escape(s.task),
            status_text(s.status.value),
            _when(s.started_at),
            _duration(s.duration_seconds),
            f"{s.event_count:,}",
            f"{s.tokens.total_tokens:,}",
            score_text(row.efficiency_score if row else None, provisional=bool(row and row.provisional)),
            escape(origins.get(s.id, (None, None))[0] or "-"),
            escape(origins.get(s.id, (None, None))[1] or "-"),
        )
    stdout_console().print(table)


def _session_header(s: Session) -> str:
    return (
        f"[bold]{escape(s.id)}[/]  {escape(s.agent)}: {escape(s.task)}\n"
        f"model {escape(s.model)} | {s.status.value} | started {_when(s.started_at)} | "
        f"{_duration(s.duration_seconds)} | {s.event_count:,} events | {s.tokens.total_tokens:,} tokens "
        f"(input {s.tokens.input_tokens:,}, cache read {s.tokens.cache_read_tokens:,}, "
        f"cache write {s.tokens.cache_write_tokens:,}, output {s.tokens.output_tokens:,})"
    )


@click.command()
@click.argument("session_id")
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(1, MAX_LIMIT),
    default=200,
    show_default=True,
    help="At most N events.",
)
@click.option("--offset", type=click.IntRange(0, MAX_OFFSET), default=0, help="Skip the first N events.")
@format_option("text", "json")
def show(session_id: str, limit: int, offset: int, fmt: str) -> None:
    """Show a session and its events timeline."""
    opt = get_state().optimizer()
    session = opt.get_session(session_id)
    events = opt.store.get_events(session.id, limit=limit, offset=offset)
    if fmt == "json":
        print_json({"session": session_to_dict(session), "events": [event_to_dict(e) for e in events]})
        return
    console = stdout_console()
    console.print(_session_header(session))
    table = new_table(show_edge=False)
    for col, kw in (
        ("Time", {"no_wrap": True}),
        ("Type", {}),
        ("What", {"overflow": "fold", "max_width": 60}),
        ("In", {"justify": "right"}),
        ("Cache R", {"justify": "right"}),
        ("Cache W", {"justify": "right"}),
        ("Out", {"justify": "right"}),
    ):
        table.add_column(col, **kw)
    for e in events:
        what = e.data.get("file_path") or e.data.get("tool") or e.data.get("message") or e.name or ""
        kind = (
            f"[red]{e.event_type.value}[/]"
            if e.is_error or e.event_type.value == "ERROR"
            else e.event_type.value
        )
        table.add_row(
            e.timestamp.astimezone().strftime("%H:%M:%S.%f")[:-3],
            kind,
            escape(str(what)),
            f"{e.tokens_input:,}",
            f"{e.cache_read_tokens:,}",
            f"{e.cache_write_tokens:,}",
            f"{e.tokens_output:,}",
        )
    console.print(table)
    if session.event_count > offset + len(events):
        console.print(f"... {session.event_count - offset - len(events):,} more (use --offset/--limit)")


@click.command()
@click.argument("agent")
@click.option(
    "--days", "-d", type=click.IntRange(1, MAX_DAYS), default=30, show_default=True, help="Window in days."
)
@format_option("text", "json")
def stats(agent: str, days: int, fmt: str) -> None:
    """An agent's efficiency, waste, cost and trend over the last N days."""
    data = get_state().optimizer().agent_statistics(agent, days)
    if fmt == "json":
        print_json(data)
        return
    trend: dict[str, Any] = data.get("trends") or {}
    cost = data.get("cost_usd")
    average = data.get("average_efficiency")
    lines = [
        f"[bold]{escape(agent)}[/] - last {days} day(s)",
        f"Sessions analyzed: {data.get('sessions_analyzed', 0)}",
        f"Average efficiency: {'no data' if average is None else f'{average}%'}",
        f"Waste tokens: {int(data.get('total_waste_tokens') or 0):,}",
        f"Cost: {'-' if cost is None else f'${cost:,.2f}'}",
        f"Trend: {trend.get('direction', '-')}"
        + ("" if trend.get("change") is None else f" ({float(trend['change']):+.1f} points)"),
    ]
    lines.extend(_effect_lines(data.get("effect")))
    stdout_console().print("\n".join(lines))


def _effect_lines(effect: dict[str, Any] | None) -> list[str]:
    """The before/after lines of ``stats`` once guidance or the guard was enabled."""
    if not effect:
        return []
    before, after, change = effect["before"], effect["after"], effect["change"]

    def num(value: float | None, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    def pct(value: float | None) -> str:
        return "" if value is None else f" ({value:+.1f}%)"

    return [
        f"Since {escape(' + '.join(effect['kinds']))} enabled ({effect['enabled_at'][:16]}): {effect['direction']}",
        f"  waste per 1k tokens: {num(before['waste_per_1k_tokens'], '.1f')} -> "
        f"{num(after['waste_per_1k_tokens'], '.1f')}{pct(change['waste_per_1k_tokens_pct'])}",
        f"  USD per session: {num(before['usd_per_session'], '.4f')} -> {num(after['usd_per_session'], '.4f')}"
        f"{pct(change['usd_per_session_pct'])}, sessions {before['sessions']} -> {after['sessions']}",
    ]


@click.command()
@click.argument("session_ids", nargs=-1, required=True)
@format_option("text", "json")
def compare(session_ids: tuple[str, ...], fmt: str) -> None:
    """Compare sessions side by side (best first)."""
    if len(session_ids) < 2:
        raise click.UsageError("compare needs at least two session ids")
    data = get_state().optimizer().compare_sessions(list(session_ids))
    if fmt == "json":
        print_json(data)
        return
    table = new_table(title="Comparison (best first)", title_justify="left")
    for col in ("Session", "Agent", "Efficiency", "Waste", "Fresh tokens", "Cost", "Issues"):
        table.add_column(
            col, justify="right" if col in ("Efficiency", "Waste", "Fresh tokens", "Cost") else "left"
        )
    rows = sorted(data.get("sessions", []), key=lambda r: -float(r.get("efficiency_score") or 0))
    for row in rows:
        cost = row.get("cost_usd")
        table.add_row(
            escape(str(row.get("session_id", ""))),
            escape(str(row.get("agent", ""))),
            score_text(row.get("efficiency_score"), provisional=bool(row.get("provisional"))),
            f"{int(row.get('total_waste_tokens') or 0):,}",
            f"{int(row.get('fresh_tokens') or 0):,}",
            "-" if cost is None else f"${cost:,.4f}",
            escape(", ".join(row.get("issue_types") or [])) or "-",
        )
    console = stdout_console()
    console.print(table)
    console.print(
        f"best: {escape(str(data.get('best')))} | worst: {escape(str(data.get('worst')))} | "
        f"spread: {data.get('efficiency_spread', 0)} points"
    )
