"""retry_loop: the same action failing again and again, or repeating with the same result.

Two rules from the field (OpenHands' stuck detector): the same tool failing ``retry_failures`` (3) times in a
row with no success or edit between and at least one byte-identical repeat, or ``retry_identical_pairs`` (4)
identical action/result pairs in a row. Re-running tests after an edit is not a loop (the edit breaks the
run). User rejections and permission denials are not failures of the agent and break a run too. Waste is
every attempt after the first failure: the model calls that produced it, its own tokens and its result.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from sessionoptimizer_sdk.analysis.base import Claim, Draft, RecommendationDraft
from sessionoptimizer_sdk.analysis.context import Action, AnalysisContext
from sessionoptimizer_sdk.analysis.errorkinds import COUNTED_KINDS
from sessionoptimizer_sdk.analysis.report import Recommendation, Severity

from ._common import MAX_EVIDENCE, fmt_tokens, severity_for

__all__ = ["RetryLoopAnalyzer"]


class RetryLoopAnalyzer:
    """Finds failing retry runs and identical action/result repeats; claims the repeats' tokens."""

    name = "retry_loop"
    order = 5

    def analyze(self, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """One finding per loop."""
        loops = list(self._failing_runs(ctx)) + list(self._identical_runs(ctx))
        starts = [a.index for a in ctx.actions]
        return [self._draft(ctx, starts, run, rule) for run, rule in loops]

    def _failing_runs(self, ctx: AnalysisContext) -> Iterable[tuple[list[Action], str]]:
        run: list[Action] = []
        for a in [*ctx.actions, None]:
            counted = a is not None and a.failed and a.error_kind in COUNTED_KINDS
            if a is not None and counted and run and a.tool == run[0].tool:
                run.append(a)
                continue
            if len(run) >= ctx.config.retry_failures and _has_repeat(run):
                yield run, "failing"
            run = [a] if a is not None and counted else []

    def _identical_runs(self, ctx: AnalysisContext) -> Iterable[tuple[list[Action], str]]:
        run: list[Action] = []
        for a in [*ctx.actions, None]:
            key = (
                None
                if a is None or a.args_key is None or a.result_key is None
                else (a.tool, a.args_key, a.result_key)
            )
            if key is not None and run and key == (run[0].tool, run[0].args_key, run[0].result_key):
                run.append(a)  # type: ignore[arg-type]
                continue
            if len(run) >= ctx.config.retry_identical_pairs:
                yield run, "identical"
            run = [a] if key is not None and a is not None else []

    def _draft(self, ctx: AnalysisContext, starts: list[int], run: Sequence[Action], rule: str) -> Draft:
        claims: list[Claim] = []
        for a in run[1:]:
            claims.extend(ctx.fresh_claims(a.event))
            content = ctx.content_tokens(a.event)
            if content:
                claims.append(ctx.content_claim(a.event, content))
            claims.extend(_generating_calls(ctx, starts, a))
        identical = len(run) - len({a.args_key for a in run})
        tool = run[0].tool
        retried = sum(c.tokens for c in claims)
        if rule == "failing":
            what = (
                f"{tool} failed {len(run)} times in a row ({identical} byte-identical repeat(s)) "
                "with no edit between"
            )
            advice = (
                f"After a failure of {tool}, change the approach (read the error, inspect the target) instead of "
                "retrying the same call; cap identical retries at one."
            )
        else:
            what = f"{tool} was called {len(run)} times in a row with the same arguments and the same result"
            advice = (
                f"Stop repeating {tool} when its result does not change; use the result you already have."
            )
        sev = severity_for(retried)
        return Draft(
            type=self.name,
            severity=Severity.MEDIUM if sev is Severity.LOW else sev,
            description=f"{what}: {len(run) - 1} retries (up to {fmt_tokens(retried)} tokens)",
            evidence=tuple(i for a in run for i in (a.event.id, *a.error_events))[:MAX_EVIDENCE],
            claims=tuple(claims),
            details={
                "rule": rule,
                "tool": tool,
                "attempts": len(run),
                "identical_repeats": identical,
                "messages": [a.message[:200] for a in run if a.message][:5],
            },
            recommendation=RecommendationDraft(title=f"Break the {tool} retry loop", detail=advice),
            drop_if_fully_claimed=False,
        )


def _has_repeat(run: Sequence[Action]) -> bool:
    """True if some attempt repeats an earlier one byte for byte (unknown arguments count as identical)."""
    seen: set[str | None] = set()
    for a in run:
        if a.args_key in seen:
            return True
        seen.add(a.args_key)
    return False


def _generating_calls(ctx: AnalysisContext, starts: list[int], action: Action) -> list[Claim]:
    """Fresh tokens of the model calls between the previous action and this one (they produced it)."""
    pos = bisect.bisect_left(starts, action.index)
    previous = starts[pos - 1] if pos > 0 else -1
    lo = bisect.bisect_right(ctx.model_calls, previous)
    hi = bisect.bisect_left(ctx.model_calls, action.index)
    out: list[Claim] = []
    for i in ctx.model_calls[lo:hi]:
        out.extend(ctx.fresh_claims(ctx.events[i]))
    return out
