"""``analyze_events``: run every analyzer on a session's events and build the report (pure: no store, no I/O)."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sessionoptimizer_sdk._internal.log import get_logger
from sessionoptimizer_sdk.models import Session, SessionEvent, TokenUsage

from ._gcpause import gc_paused
from .analyzers.high_error_rate import error_stats
from .analyzers.long_session import session_minutes
from .analyzers.thinking_overhead import thinking_share
from .analyzers.token_spike import find_spikes
from .base import Draft
from .config import AnalysisConfig
from .context import AnalysisContext
from .feed import Feed, feed_all
from .incremental import is_incremental
from .ledger import Ledger
from .pricing import Pricer
from .registry import load_analyzers
from .report import AnalyzerError, Finding, OptimizationReport, Recommendation, Severity
from .scoring import efficiency_score, weighted_tokens, weights_for
from .settlement import Outcome, Settler, claims_usd
from .subagents import rollup

__all__ = ["analyze_context", "analyze_events", "analyze_feed"]

_log = get_logger(__name__)
#: Sort key of events: (timestamp, seq), built in C.
_TIME_ORDER = operator.attrgetter("timestamp", "seq")
_SEVERITY_RANK = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2}


def _session_cost(feed: Feed, pricer: Pricer) -> tuple[float | None, str | None]:
    """The feed's running cost; looks up the billed models (in order, to the first unpriced) as a walk would."""
    for model in feed.models:
        if pricer.rates(model) is None:
            return None, "; ".join(sorted(set(pricer.unpriced.values())))
    return round(feed.cost, 6), None


def _finding(draft: Draft, outcome: Outcome) -> Finding:
    """An avoidable draft's finding, from its settled claims."""
    by_kind = outcome.by_kind
    waste = outcome.waste
    description = draft.description
    if draft.waste_in_description:
        description = description.replace("{waste}", f"{waste:,}")
    return Finding(
        type=draft.type,
        severity=Severity(draft.severity),
        description=description,
        waste_tokens=waste,
        waste_usd=outcome.usd,
        evidence=tuple(map(str, draft.evidence)),
        waste_by_kind=by_kind,
        details=dict(draft.details),
        carryover_tokens=by_kind.get("cache_read_carryover", 0),
        carryover_usd=outcome.carry_usd,
    )


def _cost(draft: Draft, ledger: Ledger, ctx: AnalysisContext, pricer: Pricer) -> Finding:
    """A finding of costs the agent could not avoid: its claims priced as they are, never settled as waste."""
    by_kind: dict[str, int] = {}
    for c in draft.claims:
        key = "cache_read_carryover" if c.pool == "carry" else c.pool
        by_kind[key] = by_kind.get(key, 0) + c.tokens
    usd, _ = claims_usd(draft.claims, ledger, ctx.session.model, pricer)
    return Finding(
        type=draft.type,
        severity=Severity(draft.severity),
        description=draft.description,
        evidence=tuple(map(str, draft.evidence)),
        details={**draft.details, "cost_by_kind": by_kind},
        avoidable=False,
        cost_usd=usd,
        waste_usd=None if usd is None else 0.0,
    )


def _run(
    name: str, items: Sequence[object], ctx: AnalysisContext, settler: Settler
) -> tuple[float, list[Recommendation]]:
    """Settle one analyzer's drafts into findings on ``ctx``; return the weighted waste they settled, and advice."""
    weighted = 0.0
    recs: list[Recommendation] = []
    for index, item in enumerate(items):
        if isinstance(item, Recommendation):
            recs.append(item)
            continue
        if not isinstance(item, Draft):
            raise TypeError(f"analyzer returned {type(item).__name__}, expected Draft or Recommendation")
        if not item.avoidable:  # a cost: priced on its own, never competes for (or counts as) waste
            ctx.findings.append(_cost(item, settler.ledger, ctx, settler.pricer))
            continue
        outcome = settler.settle((name, index), item.claims)
        if item.claims and not outcome.settled and item.drop_if_fully_claimed:
            continue
        finding = _finding(item, outcome)
        ctx.findings.append(finding)
        weighted += outcome.weighted
        if item.recommendation is not None:
            recs.append(
                Recommendation(
                    title=item.recommendation.title,
                    detail=item.recommendation.detail,
                    estimated_savings_tokens=finding.waste_tokens,
                    estimated_savings_usd=finding.waste_usd,
                    issue_types=(finding.type,),
                    carryover_tokens=finding.carryover_tokens,
                    carryover_usd=finding.carryover_usd,
                )
            )
    return weighted, recs


def _by_money(usd: float | None, tokens: int) -> tuple[float, int]:
    """Sort key: most USD first, then most tokens (unpriced sessions fall back to tokens)."""
    return (-(usd or 0.0), -tokens)


def analyze_events(
    session: Session,
    events: Sequence[SessionEvent],
    *,
    config: AnalysisConfig | None = None,
    now: datetime | None = None,
    subagents: Sequence[tuple[Session, Sequence[SessionEvent]]] = (),
) -> OptimizationReport:
    """Analyze a session's events: findings, recommendations, score, cost (provisional while ACTIVE).

    ``subagents`` (the sessions naming this one as parent, with their events) are analyzed on their own and
    rolled up into the report's ``subagents`` object beside the main agent's own figures.
    """
    # The cyclic GC is paused for long sessions (the analysis makes no cycles; see ``_gcpause``).
    with gc_paused(len(events) + sum(len(ev) for _, ev in subagents)):
        report = _analyze(session, events, config, now)
        if not subagents:
            return report
        cfg = config or AnalysisConfig()
        subs = [(s, ev, _analyze(s, ev, cfg, now)) for s, ev in subagents]
        pricer = Pricer(cfg, session.started_at, session.agent)
        return replace(report, subagents=rollup(session, events, subs, pricer, cfg.read_default_line_cap))


def analyze_context(
    ctx: AnalysisContext, subagents: Sequence[tuple[Session, Sequence[SessionEvent]]] = ()
) -> OptimizationReport:
    """``analyze_events`` on an already built context (its events in time order)."""
    with gc_paused(len(ctx.events)):
        feed = feed_all(ctx.session, ctx.events, ctx.config, load_analyzers())
        return analyze_feed(feed, ctx.session, ctx.now, ctx.events, subagents)


def _analyze(
    session: Session, events: Sequence[SessionEvent], config: AnalysisConfig | None, now: datetime | None
) -> OptimizationReport:
    cfg = config or AnalysisConfig()
    ordered = sorted(events, key=_TIME_ORDER)
    return analyze_feed(
        feed_all(session, ordered, cfg, load_analyzers()), session, now or datetime.now(UTC), ordered
    )


def analyze_feed(
    feed: Feed,
    session: Session,
    now: datetime,
    events: Sequence[SessionEvent] | Callable[[], Sequence[SessionEvent]] | None = None,
    subagents: Sequence[tuple[Session, Sequence[SessionEvent]]] = (),
    *,
    rolled: Mapping[str, Any] | None = None,
) -> OptimizationReport:
    """The report of everything fed so far.

    ``events`` (time order; or a loader) serves the analyzers that only implement ``analyze(ctx)`` and the
    subagent roll-up; without it those analyzers are left out (live reports). ``rolled`` is a roll-up computed
    before from the same subagents and main events (a live report's, kept while neither changed): used as is.
    """
    report = _report(feed, session, now, events)
    if rolled is not None:
        return replace(report, subagents=rolled)
    if not subagents:
        return report
    cfg = feed.config
    subs = [(s, ev, _analyze(s, ev, cfg, now)) for s, ev in subagents]
    pricer = Pricer(cfg, session.started_at, session.agent)
    main = (events() if callable(events) else events) if events is not None else ()
    return replace(report, subagents=rollup(session, main, subs, pricer, cfg.read_default_line_cap))


def _legacy_context(
    session: Session,
    events: Sequence[SessionEvent],
    cfg: AnalysisConfig,
    now: datetime,
    view: AnalysisContext,
) -> AnalysisContext:
    """A context with the events and their views, for analyzers that only implement ``analyze(ctx)``."""
    ctx = AnalysisContext.build(session, events, cfg, now)
    ctx.findings = view.findings  # high_waste and friends read every finding settled so far
    return ctx


def _report(
    feed: Feed,
    session: Session,
    now: datetime,
    source: Sequence[SessionEvent] | Callable[[], Sequence[SessionEvent]] | None,
) -> OptimizationReport:
    cfg = feed.config
    ctx = feed.context(session, now)
    loaded: list[Sequence[SessionEvent]] = []

    def events() -> Sequence[SessionEvent]:
        if not loaded:
            loaded.append(() if source is None else source() if callable(source) else source)
        return loaded[0]

    pricer = Pricer(cfg, session.started_at, session.agent)
    w = weights_for(pricer.rates(session.model))
    settler = Settler(Ledger(events), pricer, session.model, w, feed.settlements(session))
    waste_weighted = 0.0
    recommendations: list[Recommendation] = []
    errors: list[AnalyzerError] = []
    legacy: AnalysisContext | None = None
    for analyzer in sorted(load_analyzers(), key=lambda a: (a.order, a.name)):
        try:
            if analyzer.name in feed.states and is_incremental(analyzer):
                items = list(analyzer.drafts(feed.states[analyzer.name], ctx))  # type: ignore[attr-defined]
            elif source is None:
                continue  # a live report: analyze(ctx) needs the events, which are not held
            else:
                legacy = legacy or _legacy_context(session, events(), cfg, now, ctx)
                items = list(analyzer.analyze(legacy))
            weighted, recs = _run(analyzer.name, items, ctx, settler)
        except Exception as exc:  # one broken analyzer must not hide the others' findings
            _log.warning("analyzer failed", analyzer=analyzer.name, session_id=session.id, error=repr(exc))
            errors.append(AnalyzerError(analyzer.name, f"{type(exc).__name__}: {exc}"))
            continue
        waste_weighted += weighted
        recommendations.extend(recs)
    feed.kept_settlements = settler.keep
    totals = ctx.totals
    cost, unpriced = _session_cost(feed, pricer)
    score = efficiency_score(weighted_tokens(totals, w), waste_weighted)
    findings = sorted(
        ctx.findings,
        key=lambda f: (*_by_money(f.waste_usd, f.waste_tokens), _SEVERITY_RANK.get(f.severity, 3)),
    )
    waste_usd = None if cost is None else round(sum(f.waste_usd or 0.0 for f in findings), 6)
    unavoidable = None if cost is None else round(sum(f.cost_usd or 0.0 for f in findings), 6)
    active, wall = session_minutes(ctx)
    metrics = _metrics(ctx, totals)
    return OptimizationReport(
        session_id=session.id,
        agent=session.agent,
        task=session.task,
        model=session.model,
        status=session.status.value,
        provisional=session.is_active,
        efficiency_score=score,
        total_waste_tokens=sum(f.waste_tokens for f in findings),
        totals=totals,
        cost_usd=cost,
        unpriced_reason=unpriced,
        waste_usd=waste_usd,
        active_minutes=round(active, 2),
        wall_minutes=round(wall, 2),
        event_count=feed.count,
        started_at=session.started_at,
        ended_at=session.ended_at,
        generated_at=now,
        issues=tuple(findings),
        recommendations=tuple(
            sorted(
                recommendations, key=lambda r: _by_money(r.estimated_savings_usd, r.estimated_savings_tokens)
            )
        ),
        analyzer_errors=tuple(errors),
        metrics=metrics,
        notes=_notes(feed, metrics),
        pricing=pricer.status(),
        thinking_basis=ctx.thinking_basis,
        scored=bool(feed.billed),
        unavoidable_cost_usd=unavoidable,
    )


def _notes(feed: Feed, metrics: dict[str, float]) -> tuple[str, ...]:
    """Caveats about the data itself (e.g. token counts a transcript only gives as lower bounds or estimates)."""
    incomplete, estimated = feed.incomplete, feed.estimated_events
    notes = []
    redacted = int(metrics.get("redacted_tool_outputs", 0))
    thinking = metrics.get("thinking_share", 0.0)
    if math.isnan(thinking) and metrics.get("thinking_tokens", 0.0) > 0:
        notes.append(
            "thinking share not measurable: the thinking text outweighs the output tokens the transcript records"
        )
    elif math.isnan(thinking):
        notes.append("thinking share not measurable: the transcript stores only thinking signatures")
    if redacted and math.isnan(metrics.get("error_rate", 0.0)):
        notes.append(f"error rate not measurable: all {redacted} tool output(s) are redacted in the source")
    elif redacted:
        notes.append(f"error rate measured on the tool calls with output ({redacted} output(s) redacted)")
    if incomplete:
        notes.append(
            f"output tokens of {incomplete} model call(s) are placeholders in the transcript: "
            "output tokens and cost are lower bounds"
        )
    if estimated:
        notes.append(f"token counts of {estimated} event(s) are estimates (the source only gives run totals)")
    return tuple(notes)


def _metrics(ctx: AnalysisContext, totals: TokenUsage) -> dict[str, float]:
    """Numbers the alert rules read (so their thresholds are independent of the detectors')."""
    out: dict[str, float] = {"fresh_tokens": float(totals.fresh_tokens)}
    try:
        out.update(error_stats(ctx))
        out["error_rate"] = round(out["error_rate"], 4)  # NaN stays NaN: null ("not measurable") in JSON
        spikes = find_spikes(ctx)
        out["token_spikes"] = float(len(spikes))
        out["max_token_spike_ratio"] = round(max((s.ratio for s in spikes), default=0.0), 4)
        thinking, output = thinking_share(ctx)
        out["thinking_share"] = round(thinking / output, 4) if output else 0.0
        out["thinking_tokens"] = float(thinking)
        if ctx.thinking_basis == "not_measurable" or thinking > output > 0:
            # null in JSON: only signatures were stored, or the thinking text outweighs the recorded output
            # (thinking is part of the output: those output counts are placeholders), a share over 100%
            out["thinking_share"] = math.nan
    except Exception as exc:  # metrics share the detectors' code: contain a fault the same way
        _log.warning("metrics failed", session_id=ctx.session.id, error=repr(exc))
    return out
