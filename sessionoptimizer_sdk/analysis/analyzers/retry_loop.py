"""retry_loop: the same action failing again and again, or repeating with the same result.

Two rules from the field (OpenHands' stuck detector): the same tool failing ``retry_failures`` (3) times in a
row with no success or edit between and at least one byte-identical repeat, or ``retry_identical_pairs`` (4)
identical action/result pairs in a row. Re-running tests after an edit is not a loop (the edit breaks the
run). User rejections and permission denials are not failures of the agent and break a run too. Waste is
every attempt after the first failure: the model calls that produced it, its own tokens and its result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sessionoptimizer_sdk.analysis.base import Claim, Draft, RecommendationDraft
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.context import AnalysisContext
from sessionoptimizer_sdk.analysis.errorkinds import COUNTED_KINDS
from sessionoptimizer_sdk.analysis.facts import content_claim, fresh_claims
from sessionoptimizer_sdk.analysis.incremental import Delta, LiveAction
from sessionoptimizer_sdk.analysis.report import Recommendation, Severity

from ._common import MAX_EVIDENCE, FedAnalyzer, fmt_tokens, severity_for

__all__ = ["RetryLoopAnalyzer"]


@dataclass(slots=True)
class RetryState:
    """The failing and identical runs in progress, and the loops found among the final actions."""

    failing: list[LiveAction] = field(default_factory=list)
    identical: list[LiveAction] = field(default_factory=list)
    failing_loops: list[list[LiveAction]] = field(default_factory=list)
    identical_loops: list[list[LiveAction]] = field(default_factory=list)

    def copy(self) -> RetryState:
        return RetryState(self.failing[:], self.identical[:], self.failing_loops[:], self.identical_loops[:])

    def fold(self, a: LiveAction | None, cfg: AnalysisConfig) -> None:
        """Add one action (None: the end of the session) to both runs."""
        counted = a is not None and a.failed and a.error_kind in COUNTED_KINDS
        run = self.failing
        if a is not None and counted and run and a.tool == run[0].tool:
            run.append(a.keep())
        elif run or counted:  # else no run to end (an empty one never is a loop) and none to start
            if len(run) >= cfg.retry_failures and _has_repeat(run):
                self.failing_loops.append(run)
            self.failing = [a.keep()] if a is not None and counted else []
        keyed = a is not None and a.args_key is not None and a.result_key is not None
        run = self.identical
        if keyed and run and _same_key(a, run[0]):  # type: ignore[arg-type]
            if len(run) == 1:
                run[0].keep()
            run.append(a.keep())  # type: ignore[union-attr]
        else:
            if len(run) >= cfg.retry_identical_pairs:
                self.identical_loops.append(run)
            self.identical = [a] if keyed and a is not None else []  # kept once it repeats


class RetryLoopAnalyzer(FedAnalyzer):
    """Finds failing retry runs and identical action/result repeats; claims the repeats' tokens."""

    name = "retry_loop"
    order = 5

    def start(self) -> RetryState:
        """No runs yet."""
        return RetryState()

    def feed(self, state: RetryState, delta: Delta) -> None:
        """Fold the actions that became final."""
        for a in delta.actions:
            state.fold(a, delta.config)

    def drafts(self, state: RetryState, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """One finding per loop (the still open actions folded into a copy of the runs)."""
        end = state.copy()
        for a in ctx.memo["feed"].open:
            end.fold(a, ctx.config)
        end.fold(None, ctx.config)
        loops = [(run, "failing") for run in end.failing_loops] + [
            (run, "identical") for run in end.identical_loops
        ]
        return [self._draft(run, rule) for run, rule in loops]

    def _draft(self, run: Sequence[LiveAction], rule: str) -> Draft:
        claims: list[Claim] = []
        billed_content = 0  # result tokens billed in the event's own input: its fresh input claim has them
        for a in run[1:]:
            claims.extend(fresh_claims(a.facts))
            content = a.facts.content_tokens
            if content:
                claim = content_claim(a.facts, content)
                claims.append(claim)
                if claim.pool == "input":
                    billed_content += content
            for call in a.gen:  # the model calls between the previous action and this one produced it
                claims.extend(fresh_claims(call))
        identical = len(run) - len({a.args_key for a in run})
        tool = run[0].tool
        retried = sum(c.tokens for c in claims) - billed_content  # each token once, as settlement counts
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
            evidence=tuple(i for a in run for i in (a.id, *a.error_events))[:MAX_EVIDENCE],
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


def _same_key(a: LiveAction, b: LiveAction) -> bool:
    """Same tool, arguments and result (compared field by field: no key tuples built per action)."""
    return a.args_key == b.args_key and a.result_key == b.result_key and a.tool == b.tool


def _has_repeat(run: Sequence[LiveAction]) -> bool:
    """True if some attempt repeats an earlier one byte for byte (unknown arguments count as identical)."""
    seen: set[str | None] = set()
    for a in run:
        if a.args_key in seen:
            return True
        seen.add(a.args_key)
    return False
