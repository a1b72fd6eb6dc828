"""What the API and the dashboard show, as plain JSON-ready dicts computed from the store.

One class, used by both the REST handlers and the HTML pages, so a number on the dashboard is always the number
the API returns. Methods are synchronous (SQLite); the Starlette handlers call them in a worker thread.
"""

from __future__ import annotations

import calendar
import threading
import time
from collections import OrderedDict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..analysis.stats import TREND_STABLE_POINTS
from ..config import Settings
from ..errors import SessionNotFound
from ..models import Session, SessionStatus
from ..store.base import Store
from . import _queries as q
from ._effect import agent_effect, trend_enablements
from .serialize import alert_to_dict, event_to_dict, finite, iso, session_to_dict

__all__ = ["ACTIVE_PAGE", "TREND_THRESHOLD", "DashboardService"]

#: A change of average efficiency (points) smaller than this is reported as ``stable`` (as in analysis.stats).
TREND_THRESHOLD = TREND_STABLE_POINTS
#: Default page of ``/api/sessions/active`` (and the dashboard's live monitor).
ACTIVE_PAGE = 500
#: Provisional scores kept: a full page of active sessions, so refreshing the monitor does not re-analyse them.
_LIVE_CACHE_SIZE = 2 * ACTIVE_PAGE
#: Seconds a live session's provisional score may lag its newest events (team-server ingest keeps them growing).
_LIVE_REFRESH = 5.0


class DashboardService:
    """Read model over one store: the spec's BCH numbers plus sessions, events, reports, alerts and budget."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._live: OrderedDict[tuple[str, int], dict[str, Any]] = OrderedDict()
        self._live_lock = threading.Lock()
        self._live_recent: dict[str, tuple[float, dict[str, Any]]] = {}

    # --- the spec's four endpoints -------------------------------------------------------------------
    def current_stats(self, hours: int = 24) -> dict[str, Any]:
        """Per-agent sessions, average efficiency and waste for sessions started in the last ``hours``."""
        since = time.time() - hours * 3600
        rows = q.current_by_agent(self.store, since)
        agents = {
            r.agent: {
                "sessions": r.sessions,
                "sessions_analyzed": r.sessions_analyzed,
                "active_sessions": r.active_sessions,
                "average_efficiency": finite(r.average_efficiency, 1),
                "total_waste_tokens": r.total_waste_tokens,
                "total_tokens": r.total_tokens,
                "cost_usd": finite(r.cost_usd, 4),
            }
            for r in rows
        }
        analyzed = sum(r.sessions_analyzed for r in rows)
        weighted = sum((r.average_efficiency or 0.0) * r.sessions_analyzed for r in rows)
        return {
            "window_hours": hours,
            "since": iso(since),
            "agents": agents,
            "total_sessions": sum(r.sessions for r in rows),
            "sessions_analyzed": analyzed,
            "average_efficiency": finite(weighted / analyzed, 1) if analyzed else None,
            "total_waste_tokens": sum(r.total_waste_tokens for r in rows),
        }

    def agent_stats(self, agent: str, days: int = 7) -> dict[str, Any]:
        """An agent's analyzed sessions over ``days`` days, with the trend between the window's two halves."""
        since = time.time() - days * 86400
        rows = q.agent_report_rows(self.store, agent, since)
        scores = [eff for _, eff, _, _ in rows]
        if (
            len(rows) >= 2
        ):  # the same rule as analysis.agent_statistics: newer half minus older half of sessions
            half = len(scores) // 2
            older, newer = scores[:half], scores[half:]
            change = round(sum(newer) / len(newer) - sum(older) / len(older), 1)
            direction = (
                "improving"
                if change >= TREND_THRESHOLD
                else "declining"
                if change <= -TREND_THRESHOLD
                else "stable"
            )
        else:
            change, direction = 0.0, "stable"
        costs = [c for _, _, _, c in rows if c is not None]
        return {
            "agent": agent,
            "days": days,
            "sessions_analyzed": len(rows),
            "average_efficiency": finite(sum(scores) / len(scores), 1) if scores else None,
            "total_waste_tokens": sum(w for _, _, w, _ in rows),
            "cost_usd": finite(sum(costs), 4) if costs else None,
            "unpriced_sessions": len(rows) - len(costs),
            "trends": {"direction": direction, "change": change},
            "effect": agent_effect(self.store, agent, since),
        }

    def active_sessions(self, *, limit: int = ACTIVE_PAGE, offset: int = 0) -> dict[str, Any]:
        """A page of ACTIVE sessions, longest-running first, each with a provisional efficiency so far.

        ``total`` counts every ACTIVE session, so a client sees when the page does not hold them all.
        """
        sessions = self.store.list_sessions(status=SessionStatus.ACTIVE, limit=None)
        sessions.sort(key=lambda s: (s.started_at, s.id))
        page = [self.live_entry(s) for s in sessions[offset : offset + limit]]
        return {
            "sessions": with_origin(self.store, page),
            "total": len(sessions),
            "limit": limit,
            "offset": offset,
        }

    def report(self, session_id: str) -> dict[str, Any]:
        """The session's report JSON: the stored one if current, else analyzed now (provisional if ACTIVE)."""
        session = self.store.get_session(session_id)
        stored = self.store.get_report(session_id)
        if stored is not None and (
            session.status is not SessionStatus.ACTIVE or not stored.get("provisional")
        ):
            return stored
        return self._analyze(session)

    # --- beyond the spec -----------------------------------------------------------------------------
    def list_sessions(
        self,
        *,
        agent: str | None = None,
        status: SessionStatus | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
        host: str | None = None,
        source: str | None = None,
    ) -> dict[str, Any]:
        """A page of sessions, newest first, with their stored efficiency and the total matching count."""
        filters: dict[str, Any] = {"agent": agent, "status": status, "since": since, "until": until}
        if host is not None or source is not None:
            page, total = self._by_origin(filters, host, source, limit, offset)
        else:
            page = self.store.list_sessions(**filters, limit=limit, offset=offset)
            total = self.store.count_sessions(**filters)
        scores = q.scores_for(self.store, [s.id for s in page])
        items = []
        for s in page:
            row = scores.get(s.id)
            items.append(
                session_to_dict(
                    s,
                    efficiency_score=row.efficiency_score if row else None,
                    provisional=row.provisional if row else None,
                )
            )
        return {"sessions": with_origin(self.store, items), "total": total, "limit": limit, "offset": offset}

    def _by_origin(
        self, filters: dict[str, Any], host: str | None, source: str | None, limit: int, offset: int
    ) -> tuple[list[Session], int]:
        """A page of sessions recorded on ``host`` / from ``source`` that also match ``filters``."""
        wanted = set(self.store.session_ids_by_origin(host=host, source=source, limit=100_000))
        matching = [s for s in self.store.list_sessions(**filters, limit=None) if s.id in wanted]
        return matching[offset : offset + limit], len(matching)

    def session(self, session_id: str) -> dict[str, Any]:
        """One session with its report headline (None until analyzed)."""
        s = self.store.get_session(session_id)
        row = q.scores_for(self.store, [s.id]).get(s.id)
        out = session_to_dict(
            s,
            efficiency_score=row.efficiency_score if row else None,
            provisional=row.provisional if row else None,
        )
        out["total_waste_tokens"] = row.total_waste_tokens if row else None
        out["cost_usd"] = finite(row.cost_usd, 6) if row else None
        return with_origin(self.store, [out])[0]

    def events(self, session_id: str, *, limit: int = 200, offset: int = 0) -> dict[str, Any]:
        """A page of a session's events in time order, with the session's total event count."""
        s = self.store.get_session(session_id)
        events = self.store.get_events(s.id, limit=limit, offset=offset)
        return {
            "session_id": s.id,
            "events": [event_to_dict(e) for e in events],
            "total": self.store.count_events(s.id),
            "limit": limit,
            "offset": offset,
        }

    def alerts(
        self, *, session_id: str | None = None, since: datetime | None = None, limit: int = 100
    ) -> dict[str, Any]:
        """Stored alerts, newest first."""
        rows = self.store.list_alerts(session_id=session_id, since=since, limit=limit)
        return {"alerts": [alert_to_dict(r) for r in rows]}

    def trend(self, days: int = 7) -> dict[str, Any]:
        """Daily average final efficiency per agent and for the team over the last ``days`` local days."""
        today = date.today()
        first = today - timedelta(days=days - 1)
        since = datetime.combine(first, datetime.min.time()).astimezone().timestamp()
        labels = [(first + timedelta(days=i)).isoformat() for i in range(days)]
        index = {d: i for i, d in enumerate(labels)}
        per_agent: dict[str, list[float | None]] = {}
        team_sum = [0.0] * days
        team_n = [0] * days
        for day, agent, eff, n in q.daily_efficiency(self.store, since):
            i = index.get(day)
            if i is None:
                continue
            per_agent.setdefault(agent, [None] * days)[i] = finite(eff, 1)
            team_sum[i] += eff * n
            team_n[i] += n
        team = [finite(team_sum[i] / team_n[i], 1) if team_n[i] else None for i in range(days)]
        return {
            "days": days,
            "dates": labels,
            "agents": per_agent,
            "team": team,
            "sessions": team_n,
            "enablements": trend_enablements(self.store, since),
        }

    def budget(self, now: datetime | None = None) -> dict[str, Any]:
        """Month-to-date spend (sessions started this UTC month, as analysis.budget_status) and a forecast."""
        local_now = (now or datetime.now(UTC)).astimezone(UTC)
        month_start = local_now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        days_in_month = calendar.monthrange(local_now.year, local_now.month)[1]
        elapsed_days = max((local_now - month_start).total_seconds() / 86400, 1 / 24)
        spend = q.month_spend(self.store, month_start.timestamp())
        forecast = spend["spend_usd"] / elapsed_days * days_in_month
        budget = self.settings.monthly_budget_usd
        return {
            "month": local_now.strftime("%Y-%m"),
            "monthly_budget_usd": finite(budget, 2),
            "month_to_date_usd": finite(spend["spend_usd"], 4),
            "forecast_usd": finite(forecast, 4),
            "remaining_usd": finite(budget - spend["spend_usd"], 4),
            "percent_used": finite(100 * spend["spend_usd"] / budget, 1) if budget > 0 else None,
            "on_track": forecast <= budget,
            "days_elapsed": finite(elapsed_days, 2),
            "days_in_month": days_in_month,
            "sessions": spend["sessions"],
            "sessions_unpriced": spend["sessions_unpriced"],
            "sessions_unanalyzed": spend["sessions_unanalyzed"],
        }

    # --- helpers ---------------------------------------------------------------------------------------
    def _analyze(self, session: Session) -> dict[str, Any]:
        from ..analysis import analyze_events

        events = self.store.get_events(session.id)
        report: dict[str, Any] = analyze_events(session, events).to_dict()
        return report

    def live_entry(self, s: Session) -> dict[str, Any]:  # used by the stream too
        """A monitor row; the provisional score is cached per (session, event count) so polling stays cheap."""
        key = (s.id, s.event_count)
        now = time.monotonic()
        with self._live_lock:
            cached = self._live.get(key)
            recent = self._live_recent.get(s.id)
        if cached is None and recent is not None and now - recent[0] < _LIVE_REFRESH:
            cached = recent[1]  # a session growing under ingest is re-analysed at most every _LIVE_REFRESH s
        if cached is None:
            try:
                report = self._analyze(s)
                cached = {
                    "efficiency_score": report.get("efficiency_score"),
                    "waste": report.get("total_waste_tokens"),
                }
            except SessionNotFound:
                cached = {"efficiency_score": None, "waste": None}
            with self._live_lock:
                self._live[key] = cached
                self._live_recent[s.id] = (now, cached)
                while len(self._live) > _LIVE_CACHE_SIZE:
                    self._live.popitem(last=False)
                while len(self._live_recent) > _LIVE_CACHE_SIZE:
                    self._live_recent.pop(next(iter(self._live_recent)))
        out = session_to_dict(s, efficiency_score=cached["efficiency_score"], provisional=True)
        out["total_waste_tokens"] = cached["waste"]
        return out


def with_origin(store: Store, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add each session's ``host`` (machine) and ``source`` (sdk, claude_code, codex, import) to its dict."""
    origins = store.session_origins([item["id"] for item in items])
    for item in items:
        item["host"], item["source"] = origins.get(item["id"], (None, None))
    return items
