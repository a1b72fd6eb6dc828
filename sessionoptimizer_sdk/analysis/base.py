"""The analyzer extension point: a Protocol, and the draft findings analyzers return before waste is settled.

An analyzer never decides the final waste of a finding on its own: it *claims* tokens from pools (an event's
billed kinds, or the content a tool event put into the context) and the engine settles the claims so that no
token is counted as waste by two findings (first claim wins, in analyzer order).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .claims import FRESH_POOLS, POOLS, Claim, Pool
from .report import Recommendation, Severity

if TYPE_CHECKING:
    from .context import AnalysisContext

__all__ = ["FRESH_POOLS", "POOLS", "Analyzer", "Claim", "Draft", "Pool", "RecommendationDraft"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class RecommendationDraft:
    """A recommendation whose savings are the settled waste of the finding it is attached to."""

    title: str
    detail: str


@dataclass(frozen=True, slots=True)
class Draft:
    """A finding before settlement: the engine trims its claims and computes waste tokens and USD."""

    type: str
    severity: Severity
    description: str
    evidence: tuple[str, ...] = ()
    claims: tuple[Claim, ...] = ()
    details: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    recommendation: RecommendationDraft | None = None
    #: Drop the finding if every claimed token was already counted by an earlier finding.
    drop_if_fully_claimed: bool = True
    #: False: the claims are a cost the agent could not avoid; priced and reported, never counted as waste.
    avoidable: bool = True
    #: The description holds ``{waste}``: the engine fills in the settled waste tokens (so the text agrees).
    waste_in_description: bool = False


@runtime_checkable
class Analyzer(Protocol):
    """A detector: reads the session's events (through the context) and returns draft findings.

    ``name`` is the finding type it produces; ``order`` decides who claims shared tokens first (lower first).
    It may also yield plain :class:`Recommendation` values (advice not tied to waste, e.g. configuration).
    """

    name: str
    order: int

    def analyze(self, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """Return this detector's drafts for the session in ``ctx``."""
        ...
