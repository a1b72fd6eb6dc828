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
from .base import FRESH_POOLS, Claim, Draft, Pool
from .config import AnalysisConfig
from .context import AnalysisContext
from .feed import Feed, feed_all
from .incremental import is_incremental
from .ledger import Ledger
from .pricing import ModelRates, Pricer
from .registry import load_analyzers
from .report import AnalyzerError, Finding, OptimizationReport, Recommendation, Severity
from .scoring import efficiency_score, weighted_tokens, weighted_waste, weights_for
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


def _claims_usd(
    claims: Sequence[Claim], ledger: Ledger, ctx: AnalysisContext, pricer: Pricer
) -> tuple[float | None, float | None]:
    """USD of the claims, and the part of it that is cache-read carry-over (None when unpriced).

    A pool's rate at a prompt size within the model's first tier is its base rate: looked up once per model.
    """
    usd = carry = 0.0
    session_model = ctx.session.model
    last: str | None = None
    rates: ModelRates | None = None
    base: dict[str, float] = {}
    for c in claims:
        f = ledger.lookup(c)
        if f is None:
            continue
        model = f.model or session_model
        if model != last:
            last, rates, base = model, pricer.rates(model), {}
        if rates is None:
            return None, None
        prompt = f.input + f.cache_read + f.cache_write
        pool = c.pool
        if pool == "cache_write":
            gross = rates.write_rate(f.cache_write, f.write_1h, prompt)
        else:
            gross = _rate(rates, pool, prompt, base)
        value = c.tokens * max(gross - (_rate(rates, c.net_of, prompt, base) if c.net_of else 0.0), 0.0)
        usd += value
        if pool == "carry":
            carry += value
    return round(usd, 6), round(carry, 6)


def _rate(rates: ModelRates, pool: Pool, prompt: int, base: dict[str, float]) -> float:
    """``rates.rate(pool, prompt)``; within the first tier from ``base`` (the pool's base rate, cached)."""
    if prompt > rates.first_tier:
        return rates.rate(pool, prompt)
    rate = base.get(pool)
    if rate is None:
        rate = base[pool] = rates.rate(pool, prompt)
    return rate


def _finding(draft: Draft, settled: list[Claim], usd: float | None, carry_usd: float | None) -> Finding:
    by_kind: dict[str, int] = {}
    for c in settled:
        key = "cache_read_carryover" if c.pool == "carry" else c.pool
        by_kind[key] = by_kind.get(key, 0) + c.tokens
    if not draft.avoidable:
        return Finding(
            type=draft.type,
            severity=Severity(draft.severity),
            description=draft.description,
            evidence=tuple(str(i) for i in draft.evidence),
            details={**draft.details, "cost_by_kind": by_kind},
            avoidable=False,
            cost_usd=usd,
            waste_usd=None if usd is None else 0.0,
        )
    waste = sum(c.tokens for c in settled if c.pool in FRESH_POOLS)
    description = draft.description
    if draft.waste_in_description:
        description = description.replace("{waste}", f"{waste:,}")
    return Finding(
        type=draft.type,
        severity=Severity(draft.severity),
        description=description,
        waste_tokens=waste,
        waste_usd=usd,
        evidence=tuple(str(i) for i in draft.evidence),
        waste_by_kind=by_kind,
        details=dict(draft.details),
        carryover_tokens=by_kind.get("cache_read_carryover", 0),
        carryover_usd=carry_usd,
    )


def _run(
    items: Sequence[object], ctx: AnalysisContext, ledger: Ledger, pricer: Pricer
) -> tuple[list[Claim], list[Recommendation]]:
    """Settle one analyzer's drafts into findings on ``ctx``; return its settled claims and advice."""
    claims: list[Claim] = []
    recs: list[Recommendation] = []
    for item in items:
        if isinstance(item, Recommendation):
            recs.append(item)
            continue
        if not isinstance(item, Draft):
            raise TypeError(f"analyzer returned {type(item).__name__}, expected Draft or Recommendation")
        if not item.avoidable:  # a cost: priced on its own, never competes for (or counts as) waste
            usd, _ = _claims_usd(item.claims, ledger, ctx, pricer)
            ctx.findings.append(_finding(item, list(item.claims), usd, None))
            continue
        settled = ledger.settle(item.claims)
        if item.claims and not settled and item.drop_if_fully_claimed:
            continue
        usd, carry_usd = _claims_usd(settled, ledger, ctx, pricer)
        finding = _finding(item, settled, usd, carry_usd)
        ctx.findings.append(finding)
        claims.extend(settled)
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
    return claims, recs


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
    ledger = Ledger(events)
    all_claims: list[Claim] = []
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
            claims, recs = _run(items, ctx, ledger, pricer)
        except Exception as exc:  # one broken analyzer must not hide the others' findings
            _log.warning("analyzer failed", analyzer=analyzer.name, session_id=session.id, error=repr(exc))
            errors.append(AnalyzerError(analyzer.name, f"{type(exc).__name__}: {exc}"))
            continue
        all_claims.extend(claims)
        recommendations.extend(recs)
    totals = ctx.totals
    cost, unpriced = _session_cost(feed, pricer)
    w = weights_for(pricer.rates(session.model))
    score = efficiency_score(weighted_tokens(totals, w), weighted_waste(all_claims, w))
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
    if math.isnan(thinking):
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
        if ctx.thinking_basis == "not_measurable":
            out["thinking_share"] = math.nan  # null in JSON: only signatures were stored
    except Exception as exc:  # metrics share the detectors' code: contain a fault the same way
        _log.warning("metrics failed", session_id=ctx.session.id, error=repr(exc))
    return out
