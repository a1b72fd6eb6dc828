"""Numbers every human-readable format shows, formatted once."""

from __future__ import annotations

from sessionoptimizer_sdk.analysis.report import Finding, OptimizationReport, Recommendation

__all__ = ["cost_text", "finding_money", "headline_rows", "saving_text", "score_text", "usd"]


def usd(value: float | None) -> str:
    """``$1.2345`` or ``unpriced``."""
    return "unpriced" if value is None else f"${value:,.4f}"


def cost_text(report: OptimizationReport) -> str:
    """The session cost, or why it has none."""
    if report.cost_usd is None:
        return f"unpriced ({report.unpriced_reason or 'unknown model'})"
    if report.pricing == "free":
        return f"{usd(report.cost_usd)} (free by configuration)"
    return usd(report.cost_usd)


def score_text(report: OptimizationReport) -> str:
    """``87.5%``, or ``n/a`` for a session that billed no tokens (nothing to be efficient about)."""
    if not report.scored:
        return "n/a (no model calls recorded)"
    return f"{report.efficiency_score:.1f}%"


def finding_money(f: Finding) -> str:
    """A finding's money: waste (with its carry-over apart) or, for an unavoidable cost, that cost."""
    if not f.avoidable:
        return f"cost {usd(f.cost_usd)}, not waste"
    text = f"waste {f.waste_tokens:,} tokens ({usd(f.waste_usd)})"
    if f.carryover_tokens:
        text += f", incl. carry-over {f.carryover_tokens:,} cache-read tokens ({usd(f.carryover_usd)})"
    return text


def saving_text(r: Recommendation) -> str:
    """``saves ~N tokens, $X`` plus the cache-read carry-over, shown apart at its own (cache-read) price."""
    text = f"saves ~{r.estimated_savings_tokens:,} tokens, {usd(r.estimated_savings_usd)}"
    if r.carryover_tokens:
        text += f" incl. {r.carryover_tokens:,} cache-read carry-over tokens ({usd(r.carryover_usd)})"
    return text


def headline_rows(report: OptimizationReport) -> list[tuple[str, str]]:
    """(label, value) rows of the report's headline."""
    t = report.totals
    return (
        [
            ("Session", report.session_id),
            ("Agent", report.agent),
            ("Task", report.task),
            ("Model", report.model),
            ("Status", report.status + (" (provisional)" if report.provisional else "")),
            ("Efficiency", score_text(report)),
            ("Waste", f"{report.total_waste_tokens:,} tokens ({usd(report.waste_usd)})"),
            ("Cost", cost_text(report)),
            *(
                [
                    (
                        "Unavoidable",
                        f"{usd(report.unavoidable_cost_usd)} of the cost (not waste: see the issues)",
                    )
                ]
                if report.unavoidable_cost_usd
                else []
            ),
            (
                "Tokens",
                f"input {t.input_tokens:,} · cache read {t.cache_read_tokens:,} · cache write "
                f"{t.cache_write_tokens:,} · output {t.output_tokens:,} (thinking {t.reasoning_tokens:,})",
            ),
            ("Time", f"{report.active_minutes:.1f} active min / {report.wall_minutes:.1f} wall min"),
        ]
        + _subagent_rows(report)
        + ([("Notes", "; ".join(report.notes))] if report.notes else [])
    )


def _subagent_rows(report: OptimizationReport) -> list[tuple[str, str]]:
    """The subagents' roll-up beside the main agent's own figures, and each subagent."""
    sub = report.subagents
    if not sub:
        return []
    t = sub.get("tokens", {})
    fresh = sum(int(t.get(k, 0)) for k in ("input_tokens", "cache_write_tokens", "output_tokens"))
    rows = [
        (
            "Subagents",
            f"{sub.get('count', 0)} (rolled up, not in the figures above): {fresh:,} fresh tokens, "
            f"cost {usd(sub.get('cost_usd'))}, waste {int(sub.get('waste_tokens', 0)):,} tokens "
            f"({usd(sub.get('waste_usd'))})",
        )
    ]
    for s in sub.get("sessions", [])[:20]:
        rows.append(
            (
                "  subagent",
                f"{s.get('session_id')}: cost {usd(s.get('cost_usd'))}, waste {int(s.get('waste_tokens', 0)):,} "
                f"tokens ({usd(s.get('waste_usd'))})",
            )
        )
    return rows
