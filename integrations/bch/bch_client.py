"""BCH terminal client: polls the SessionOptimizer REST API and renders the spec's three dashboard panels.

    python integrations/bch/bch_client.py --url http://127.0.0.1:8765 [--interval 5] [--once] [--token T]

Panels: Session Efficiency (per agent, last 24 hours, with the team total), Active Sessions (duration, tokens
and an efficiency bar per live session) and the Efficiency Trend (7 days). Only the documented endpoints are
used: ``/api/stats/current``, ``/api/sessions/active`` and ``/api/stats/trend``. Standard library + rich.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

_BARS = " ▁▂▃▄▅▆▇█"


class ApiError(Exception):
    """The API could not be reached or answered with an error."""


def fetch(base: str, path: str, token: str | None, timeout: float = 5.0) -> Any:
    """GET ``base + path`` as JSON."""
    request = urllib.request.Request(base.rstrip("/") + path, headers={"Accept": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ApiError(f"{path}: {exc}") from exc


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def efficiency_panel(stats: dict[str, Any]) -> Panel:
    """SESSION EFFICIENCY (Last 24 Hours): agent, sessions, average efficiency, waste; team total below."""
    table = Table(expand=True)
    for name, justify in (("Agent", "left"), ("Sessions", "right"), ("Avg Eff", "right"), ("Waste", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for agent, row in sorted(stats.get("agents", {}).items()):
        table.add_row(
            Text(agent),
            str(row.get("sessions", 0)),
            _pct(row.get("average_efficiency")),
            f"{row.get('total_waste_tokens', 0):,}",
        )
    total = (
        f"TEAM TOTAL: {stats.get('total_sessions', 0)} sessions, {_pct(stats.get('average_efficiency'))} avg,"
        f" {stats.get('total_waste_tokens', 0):,}"
    )
    hours = stats.get("window_hours", 24)
    return Panel(
        Group(table, Text(total)), title=f"SESSION EFFICIENCY (Last {hours} Hours)", title_align="left"
    )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _bar(efficiency: float | None, width: int = 10) -> str:
    if efficiency is None:
        return "[" + " " * width + "] analysing"
    filled = round(max(0.0, min(100.0, efficiency)) / 100 * width)
    inner = "=" * max(0, filled - 1) + (">" if filled else "")
    return f"[{inner:<{width}}] {efficiency:.0f}% efficient"


def active_panel(active: dict[str, Any]) -> Panel:
    """ACTIVE SESSIONS: [AGENT] task, then duration, tokens and an efficiency bar for each live session."""
    lines: list[Text] = []
    for s in active.get("sessions", []):
        lines.append(Text(f"[{s.get('agent')}] {s.get('task')}", style="bold"))
        lines.append(Text(f"  Duration: {_duration(s.get('duration', 0))} | Tokens: {s.get('tokens', 0):,}"))
        lines.append(Text(f"  Status: {_bar(s.get('efficiency_score'))}"))
        lines.append(Text(""))
    if not lines:
        lines.append(Text("No active sessions", style="dim"))
    return Panel(Group(*lines), title="ACTIVE SESSIONS", title_align="left")


def _spark(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "·" * len(values)
    return "".join("·" if v is None else _BARS[max(1, round(v / 100 * (len(_BARS) - 1)))] for v in values)


def trend_panel(trend: dict[str, Any]) -> Panel:
    """Efficiency % (Last N Days): one sparkline per agent and the team, with the latest value."""
    table = Table(expand=True, show_edge=False)
    table.add_column("Agent")
    dates = trend.get("dates", [])
    table.add_column(f"{dates[0][5:]} .. {dates[-1][5:]}" if dates else "Days")
    table.add_column("Latest", justify="right")
    series = {**trend.get("agents", {}), "TEAM": trend.get("team", [])}
    for agent, values in series.items():
        latest = next((v for v in reversed(values) if v is not None), None)
        table.add_row(Text(agent), _spark(values), _pct(latest))
    return Panel(table, title=f"Efficiency % (Last {trend.get('days', 7)} Days)", title_align="left")


def render(base: str, token: str | None, days: int) -> Group:
    """All three panels from the API's current answers."""
    stats = fetch(base, "/api/stats/current", token)
    active = fetch(base, "/api/sessions/active", token)
    trend = fetch(base, f"/api/stats/trend?days={days}", token)
    return Group(efficiency_panel(stats), active_panel(active), trend_panel(trend))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render SessionOptimizer's BCH panels in a terminal.")
    parser.add_argument(
        "--url", default="http://127.0.0.1:8765", help="the server printed by `sessionoptimizer serve`"
    )
    parser.add_argument("--token", help="API token, if the server was started with --token")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between refreshes")
    parser.add_argument("--days", type=int, default=7, help="days in the trend panel")
    parser.add_argument("--once", action="store_true", help="render once and exit (cron, CI, screenshots)")
    parser.add_argument("--width", type=int, default=None, help="terminal width (default: detected)")
    args = parser.parse_args(argv)
    console = Console(width=args.width)
    if args.once:
        try:
            console.print(render(args.url, args.token, args.days))
        except ApiError as exc:
            print(f"bch_client: cannot read the API at {args.url}: {exc}", file=sys.stderr)
            return 1
        return 0
    with Live(Text("connecting..."), console=console, refresh_per_second=4) as live:
        while True:
            try:
                live.update(render(args.url, args.token, args.days))
            except ApiError as exc:
                live.update(Text(f"API unreachable ({exc}); retrying in {args.interval:.0f}s", style="red"))
            try:
                time.sleep(args.interval)
            except KeyboardInterrupt:
                return 0


if __name__ == "__main__":
    sys.exit(main())
