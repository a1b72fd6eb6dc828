"""Subagents: their rolled-up figures beside the main agent's own, and files re-read across agents.

A subagent (a Claude Code Task sidechain, an ``agent-*.jsonl`` transcript, a ``subagents/`` folder) is its own
session naming its parent (``metadata.parent_session_id``). The parent's report keeps its own figures and adds a
``subagents`` roll-up: tokens, USD and waste summed over the subagents' own reports, each subagent listed, and
cross-agent re-reads: a file the main agent had read and its subagent read again, unchanged, later.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sessionoptimizer_sdk.models import EventType, Session, SessionEvent

from .analyzers._common import norm_path
from .analyzers._lines import LineSet
from .context import get_int, get_str
from .pricing import Pricer
from .report import OptimizationReport

__all__ = ["cross_agent_rereads", "rollup"]


def _range(e: SessionEvent, cap: int) -> tuple[float, float]:
    start = float(max(get_int(e.data, "offset") or 1, 1))
    limit = get_int(e.data, "limit")
    if limit is None and get_str(e.data, "tool") == "Read":
        limit = cap
    return start, (start + limit - 1 if limit else math.inf)


def cross_agent_rereads(
    main: Sequence[SessionEvent], sub: Session, sub_events: Sequence[SessionEvent], cap: int
) -> list[dict[str, Any]]:
    """Reads by ``sub`` of lines the main agent had read before and nobody changed since (one row per read)."""
    known: dict[str, LineSet] = {}
    timeline = sorted(
        [(e.timestamp, 0, e) for e in main] + [(e.timestamp, 1, e) for e in sub_events],
        key=lambda x: (x[0], x[1]),
    )
    rows: list[dict[str, Any]] = []
    for _, from_sub, e in timeline:
        raw = get_str(e.data, "file_path")
        if e.event_type is EventType.COMPACTION and not from_sub:
            continue  # the main agent's compaction does not change what the subagent could have been given
        if e.event_type is EventType.FILE_WRITE and raw:
            known.pop(norm_path(raw), None)
        elif e.event_type is EventType.TOOL_CALL and (e.data.get("modifies_all") or e.data.get("modifies")):
            if e.data.get("modifies_all"):
                known.clear()
            for p in e.data.get("modifies") or ():
                if isinstance(p, str):
                    known.pop(norm_path(p), None)
        elif e.event_type is EventType.FILE_READ and raw and not e.is_error:
            path = norm_path(raw)
            start, end = _range(e, cap)
            if not from_sub:
                known.setdefault(path, LineSet()).add(start, end)
                continue
            lines = known.get(path)
            tokens = get_int(e.data, "result_tokens") or 0
            if lines is None or tokens <= 0:
                continue
            if math.isinf(end):
                share = 1.0 if lines.covers_tail(start) else 0.0
            else:
                share = min(lines.covered(start, end), end - start + 1) / (end - start + 1)
            redundant = round(tokens * share)
            if redundant > 0:
                rows.append(
                    {"file_path": path, "subagent_session_id": sub.id, "event_id": e.id, "tokens": redundant}
                )
    return rows


def rollup(
    main: Session,
    main_events: Sequence[SessionEvent],
    subs: Sequence[tuple[Session, Sequence[SessionEvent], OptimizationReport]],
    pricer: Pricer,
    cap: int,
) -> Mapping[str, Any]:
    """The ``subagents`` object of the parent's report (empty mapping when it has none)."""
    if not subs:
        return {}
    listed: list[dict[str, Any]] = []
    tokens = {"input_tokens": 0, "cache_read_tokens": 0, "cache_write_tokens": 0, "output_tokens": 0}
    cost: float | None = 0.0
    waste_tokens = 0
    waste_usd: float | None = 0.0
    rereads: list[dict[str, Any]] = []
    for sub, events, report in subs:
        t = report.totals
        for key, value in (
            ("input_tokens", t.input_tokens),
            ("cache_read_tokens", t.cache_read_tokens),
            ("cache_write_tokens", t.cache_write_tokens),
            ("output_tokens", t.output_tokens),
        ):
            tokens[key] += value
        rows = cross_agent_rereads(main_events, sub, events, cap)
        rate = pricer.rates(sub.model)
        extra_usd = None if rate is None else sum(r["tokens"] for r in rows) * rate.input.base
        for r in rows:
            r["usd"] = None if rate is None else round(r["tokens"] * rate.input.base, 6)
        rereads.extend(rows)
        extra = sum(r["tokens"] for r in rows)
        cost = None if cost is None or report.cost_usd is None else cost + report.cost_usd
        waste_tokens += report.total_waste_tokens + extra
        waste_usd = (
            None
            if waste_usd is None or report.waste_usd is None or extra_usd is None
            else waste_usd + report.waste_usd + extra_usd
        )
        listed.append(
            {
                "session_id": sub.id,
                "agent": sub.agent,
                "task": sub.task,
                "model": sub.model,
                "cost_usd": report.cost_usd,
                "waste_tokens": report.total_waste_tokens + extra,
                "waste_usd": None
                if report.waste_usd is None or extra_usd is None
                else round(report.waste_usd + extra_usd, 6),
                "efficiency_score": report.efficiency_score if report.scored else None,
                "cross_agent_reread_tokens": extra,
            }
        )
    return {
        "count": len(subs),
        "tokens": tokens,
        "cost_usd": None if cost is None else round(cost, 6),
        "waste_tokens": waste_tokens,
        "waste_usd": None if waste_usd is None else round(waste_usd, 6),
        "cross_agent_rereads": rereads[:50],
        "sessions": listed,
    }
