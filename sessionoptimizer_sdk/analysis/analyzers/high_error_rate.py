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

from sessionoptimizer_sdk.analysis.base import Claim, Draft, RecommendationDraft
from sessionoptimizer_sdk.analysis.context import Action, AnalysisContext
from sessionoptimizer_sdk.analysis.errorkinds import COUNTED_KINDS
from sessionoptimizer_sdk.analysis.report import Recommendation, Severity
from sessionoptimizer_sdk.models import ErrorKind

from ._common import MAX_EVIDENCE

__all__ = ["HighErrorRateAnalyzer", "error_stats"]


def error_stats(ctx: AnalysisContext) -> dict[str, float]:
    """Tool calls, errors by kind and the counted error rate (memoised on the context)."""
    cached = ctx.memo.get("error_stats")
    if cached is None:
        kinds = Counter(a.error_kind for a in ctx.actions if a.failed)
        redacted = sum(1 for a in ctx.actions if not a.failed and a.event.data.get("result_redacted"))
        calls = len(ctx.actions) - redacted  # a call whose output was not kept: outcome unknown
        counted = sum(n for k, n in kinds.items() if k in COUNTED_KINDS)
        cached = {
            "tool_calls": float(calls),
            "agent_errors": float(counted),
            # NaN (null in JSON) = not measurable: every tool output was redacted
            "error_rate": counted / calls if calls else (math.nan if redacted else 0.0),
            "redacted_tool_outputs": float(redacted),
            "user_rejections": float(kinds.get(ErrorKind.USER_REJECTION, 0)),
            "permission_denials": float(kinds.get(ErrorKind.PERMISSION_DENIED, 0)),
        }
        ctx.memo["error_stats"] = cached
    return dict(cached)


class HighErrorRateAnalyzer:
    """Flags a high rate of agent errors; turns permission denials into a configuration recommendation."""

    name = "high_error_rate"
    order = 40

    def analyze(self, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """A finding when the counted error rate is over the threshold, plus advice on denials."""
        cfg = ctx.config
        stats = error_stats(ctx)
        out: list[Draft | Recommendation] = []
        denied = [a for a in ctx.actions if a.failed and a.error_kind is ErrorKind.PERMISSION_DENIED]
        if denied:
            tools = sorted({_what(a) for a in denied})
            out.append(
                Recommendation(
                    title="Allow-list the denied commands",
                    detail=(
                        f"{len(denied)} tool call(s) were denied by permissions ({', '.join(tools[:5])}); "
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
        failed = [a for a in ctx.actions if a.failed and a.error_kind in COUNTED_KINDS]
        claims: list[Claim] = []
        for a in failed:
            claims.extend(ctx.fresh_claims(a.event))
            content = ctx.content_tokens(a.event)
            if content:
                claims.append(ctx.content_claim(a.event, content))
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
                evidence=tuple(a.event.id for a in failed[:MAX_EVIDENCE]),
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


def _what(a: Action) -> str:
    command = a.event.data.get("command")
    return f"{a.tool}: {command[:60]}" if isinstance(command, str) and command else a.tool
