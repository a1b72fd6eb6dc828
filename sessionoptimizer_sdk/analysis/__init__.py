"""Deterministic waste analysis of recorded sessions: detectors, efficiency score, cost and statistics."""

from __future__ import annotations

from .base import Analyzer, Claim, Draft, RecommendationDraft
from .config import DEFAULT_MODEL_ALIASES, AnalysisConfig
from .context import AnalysisContext
from .engine import analyze_events
from .facts import EventFacts, FactClaim
from .incremental import Delta, IncrementalAnalyzer, LiveAction
from .registry import load_analyzers
from .report import FINDING_TYPES, AnalyzerError, Finding, OptimizationReport, Recommendation, Severity
from .stats import agent_statistics, budget_status, compare_reports, team_statistics

__all__ = [
    "DEFAULT_MODEL_ALIASES",
    "FINDING_TYPES",
    "AnalysisConfig",
    "AnalysisContext",
    "Analyzer",
    "AnalyzerError",
    "Claim",
    "Delta",
    "Draft",
    "EventFacts",
    "FactClaim",
    "Finding",
    "IncrementalAnalyzer",
    "LiveAction",
    "OptimizationReport",
    "Recommendation",
    "RecommendationDraft",
    "Severity",
    "agent_statistics",
    "analyze_events",
    "budget_status",
    "compare_reports",
    "load_analyzers",
    "team_statistics",
]
