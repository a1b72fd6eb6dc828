"""high_error_rate: agent errors over 30% of tool calls (the spec's threshold).

Errors are classified (agent error, test failure, timeout, user rejection, permission denial); rejections and
denials do not count toward the rate. Denials instead produce a configuration recommendation (allow-list the
denied commands): a session whose "errors" were all denials has a configuration problem, not a bad agent.
Waste is the failed calls' own tokens and error output (retries are counted by retry_loop first).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sessionoptimizer_sdk._internal.secrets import redact_secrets
from sessionoptimizer_sdk.analysis.base import Claim, Draft, RecommendationDraft
from sessionoptimizer_sdk.analysis.context import AnalysisContext
from sessionoptimizer_sdk.analysis.errorkinds import COUNTED_KINDS
from sessionoptimizer_sdk.analysis.facts import content_claim, fresh_claims
from sessionoptimizer_sdk.analysis.incremental import Delta, LiveAction
from sessionoptimizer_sdk.analysis.report import Recommendation, Severity
from sessionoptimizer_sdk.models import ErrorKind

from ._common import MAX_EVIDENCE, FedAnalyzer

__all__ = ["HighErrorRateAnalyzer", "error_stats"]


def error_stats(ctx: AnalysisContext) -> dict[str, float]:
    """Tool calls, errors by kind and the counted error rate (kept by the feed; on the context's memo)."""
    cached = ctx.memo.get("error_stats")
    if cached is None:
        from sessionoptimizer_sdk.analysis.feed import feed_all

        cached = ctx.memo["error_stats"] = feed_all(ctx.session, ctx.events, ctx.config, ()).error_stats()
    return dict(cached)


@dataclass(slots=True)
class ErrorState:
    """The final failed actions that count toward the rate, and the permission denials."""

    failed: list[LiveAction] = field(default_factory=list)
    denied: int = 0
    denied_tools: set[str] = field(default_factory=set)

    def fold(self, a: LiveAction) -> None:
        if not a.failed:
            return
        if a.error_kind in COUNTED_KINDS:
            self.failed.append(a.keep())
        elif a.error_kind is ErrorKind.PERMISSION_DENIED:
            self.denied += 1
            self.denied_tools.add(_what(a))


class HighErrorRateAnalyzer(FedAnalyzer):
    """Flags a high rate of agent errors; turns permission denials into a configuration recommendation."""

    name = "high_error_rate"
    order = 40

    def start(self) -> ErrorState:
        """No failures yet."""
        return ErrorState()

    def feed(self, state: ErrorState, delta: Delta) -> None:
        """Fold the actions that became final."""
        fold = state.fold
        for a in delta.actions:
            if a.failed:  # fold's own first test, without a call per successful action
                fold(a)

    def drafts(self, state: ErrorState, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """A finding when the counted error rate is over the threshold, plus advice on denials."""
        cfg = ctx.config
        stats = error_stats(ctx)
        end = ErrorState(state.failed[:], state.denied, set(state.denied_tools))
        for a in ctx.memo["feed"].open:
            end.fold(a)
        out: list[Draft | Recommendation] = []
        if end.denied:
            tools = sorted(end.denied_tools)
            out.append(
                Recommendation(
                    title="Allow-list the denied commands",
                    detail=(
                        f"{end.denied} tool call(s) were denied by permissions ({', '.join(tools[:5])}); "
                        "these are not agent mistakes. If the agent needs them, allow-list them in the agent's "
                        "permission settings; if not, tell the agent up front so it does not try."
                    ),
                    issue_types=(self.name,),
                )
            )
        rate = stats["error_rate"]
        if (
            math.isnan(rate)
            or stats["tool_calls"] < cfg.error_rate_min_calls
            or rate <= cfg.error_rate_threshold
        ):
            return out
        failed = end.failed
        claims: list[Claim] = []
        for a in failed:
            claims.extend(fresh_claims(a.facts))
            content = a.facts.content_tokens
            if content:
                claims.append(content_claim(a.facts, content))
        kinds = Counter(str(a.error_kind) for a in failed)
        out.insert(
            0,
            Draft(
                type=self.name,
                severity=Severity.HIGH,
                description=(
                    f"{int(stats['agent_errors'])} of {int(stats['tool_calls'])} tool calls failed by the "
                    "agent's doing "
                    f"({rate:.0%}, threshold {cfg.error_rate_threshold:.0%}); rejections and denials not counted"
                ),
                evidence=tuple(a.id for a in failed[:MAX_EVIDENCE]),
                claims=tuple(claims),
                details={**stats, "by_kind": dict(kinds), "threshold": cfg.error_rate_threshold},
                recommendation=RecommendationDraft(
                    title="Reduce failing tool calls",
                    detail=(
                        "Most failures were "
                        + kinds.most_common(1)[0][0].replace("_", " ")
                        + "s: check preconditions "
                        "(paths exist, strings to replace are current, dependencies installed) before calling tools."
                    ),
                ),
                drop_if_fully_claimed=False,
            ),
        )
        return out


def _what(a: LiveAction) -> str:
    """The denied call as the recommendation (and guidance) names it: credentials redacted, then cut to 60."""
    return f"{a.tool}: {redact_secrets(a.command)[:60]}" if a.command else a.tool
