"""A session's final report is finalized from its live state (no reload), and equals a full re-analysis."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk import EventType, SessionOptimizer
from sessionoptimizer_sdk.analysis import registry
from sessionoptimizer_sdk.analysis.base import Draft
from sessionoptimizer_sdk.analysis.context import AnalysisContext
from sessionoptimizer_sdk.analysis.report import Severity
from sessionoptimizer_sdk.analysis.runner import analyze_stored
from sessionoptimizer_sdk.analysis.stored import report_path
from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.models import SessionStatus
from tests.analysis.test_handover import _commit, _full, _rig
from tests.analysis.test_live import _assert_same, _build, _steps


def _work(x: int) -> int:
    return x + 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=_steps(), cuts=st.lists(st.integers(0, 40), max_size=5))
def test_final_report_from_the_live_state_equals_a_full_reanalysis(
    tmp_path_factory: Any, steps: list[tuple[str, float, dict[str, Any]]], cuts: list[int]
) -> None:
    """Random sessions fed live batch by batch, then ended: the stored final report and its file equal a full one."""
    home = tmp_path_factory.mktemp("final")
    with _rig(home / "s.db", home) as (store, runner, reports, active):
        events = _build(steps)
        bounds = sorted({0, len(events), *(c for c in cuts if c < len(events))})
        for lo, hi in itertools.pairwise(bounds):
            _commit(store, runner, events[lo:hi])
        end = max(e.timestamp for e in events) + timedelta(minutes=1)
        assert store.end_session(active.id, SessionStatus.COMPLETED, end)
        runner.submit(active.id, True)
        assert runner.flush(30)
        assert runner.finalized_live == 1  # the final report came from the live state
        final = reports[-1]
        assert not final.provisional and final.event_count == len(events)
        full = _full(store, runner, final)
        _assert_same(final.to_dict(), full)
        written = json.loads(report_path(runner.settings.reports_dir, active.id).read_text())
        assert written["issues"] == full["issues"] and written["efficiency_score"] == full["efficiency_score"]


def _record(opt: SessionOptimizer, batches: int = 3) -> str:
    """A session of decorated calls and model calls, flushed (with its analysis) between batches; ended."""
    tool = opt.tool(_work)
    with opt.session("agent", "task", model="claude-sonnet-4-5") as s:
        for _ in range(batches):
            for i in range(40):
                tool(i)
                if i % 10 == 0:
                    opt.log_event(s.id, EventType.AI_RESPONSE, tokens_input=100, tokens_output=20)
            opt.log_event(s.id, EventType.FILE_READ, data={"file_path": "a.py", "result_tokens": 3_000})
            assert opt.flush(30, analysis=True)
    assert opt.flush(30, analysis=True)
    return s.id


def _stored_equals_full(opt: SessionOptimizer, sid: str) -> None:
    stored = opt.store.get_report(sid)
    assert stored is not None and stored["provisional"] is False
    when = stored["generated_at"]
    full = analyze_stored(opt.store, sid, opt.analysis_config).to_dict()
    full["generated_at"] = when
    _assert_same(stored, full)
    assert stored["event_count"] == 3 * 45  # 40 decorated calls + 4 model calls + 1 read per batch


def test_sessionoptimizer_finalizes_from_the_live_state(tmp_path: Path) -> None:
    """Through the SDK: the final report comes from the live state, equal to analyzing the stored session."""
    opt = SessionOptimizer(str(tmp_path / "so"))
    try:
        sid = _record(opt)
        runner = opt._runner
        assert runner is not None and runner.finalized_live == 1
        _stored_equals_full(opt, sid)
    finally:
        opt.shutdown()


def test_live_analysis_off_still_writes_the_final_report(tmp_path: Path) -> None:
    """SESSIONOPTIMIZER_LIVE_ANALYSIS=0: no provisional analysis while recording; the final report as before."""
    opt = SessionOptimizer(settings=Settings.from_env(home=tmp_path / "so", live_analysis=False))
    provisional: list[Any] = []
    opt.add_report_listener(lambda r: provisional.append(r) if r.provisional else None)
    try:
        sid = _record(opt)
        runner = opt._runner
        assert runner is not None and runner.finalized_live == 0 and runner.handed == runner.read_back == 0
        assert provisional == []
        _stored_equals_full(opt, sid)
    finally:
        opt.shutdown()


def test_live_analysis_setting_reads_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The variable turns live analysis off; a value that is not a boolean is refused with its name."""
    monkeypatch.setenv("SESSIONOPTIMIZER_LIVE_ANALYSIS", "0")
    assert Settings.from_env(home=tmp_path).live_analysis is False
    monkeypatch.setenv("SESSIONOPTIMIZER_LIVE_ANALYSIS", "maybe")
    with pytest.raises(Exception, match="SESSIONOPTIMIZER_LIVE_ANALYSIS"):
        Settings.from_env(home=tmp_path)


class _Legacy:
    """A third-party analyzer with only ``analyze(ctx)``: it needs the events, which live reports do not hold."""

    name = "legacy_reads"
    order = 99

    def analyze(self, ctx: AnalysisContext) -> Iterable[Draft]:
        reads = sum(1 for e in ctx.events if e.event_type is EventType.FILE_READ)
        return [Draft(self.name, Severity.LOW, f"{reads} reads", (), ())] if reads else []


def test_a_final_report_from_the_live_state_runs_analyze_only_analyzers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An analyze(ctx) analyzer is left out of live reports but runs in the final one, on all the events."""
    monkeypatch.setattr(registry, "_loaded", (*registry.load_analyzers(), _Legacy()))
    opt = SessionOptimizer(str(tmp_path / "so"))
    reports: list[Any] = []
    opt.add_report_listener(reports.append)
    try:
        sid = _record(opt)
        assert opt._runner is not None and opt._runner.finalized_live == 1
        live = [r for r in reports if r.provisional]
        assert live and all(not any(f.type == "legacy_reads" for f in r.issues) for r in live)
        stored = opt.store.get_report(sid)
        assert stored is not None
        assert [f["description"] for f in stored["issues"] if f["type"] == "legacy_reads"] == ["3 reads"]
    finally:
        opt.shutdown()


def test_a_fault_in_the_live_state_still_gives_the_full_final_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If finalizing from the live state fails, the stored events are analyzed instead: the report is still written."""
    from sessionoptimizer_sdk.analysis.live import LiveAnalysis

    monkeypatch.setenv("SESSIONOPTIMIZER_STRICT", "0")  # the fault is the point: contained, as in production
    real = LiveAnalysis.report

    def failing(self: LiveAnalysis, *args: Any, final: bool = False, **kw: Any) -> Any:
        if final:
            raise RuntimeError("injected fault in the live state")
        return real(self, *args, final=final, **kw)

    monkeypatch.setattr(LiveAnalysis, "report", failing)
    opt = SessionOptimizer(str(tmp_path / "so"))
    try:
        sid = _record(opt)
        assert opt._runner is not None and opt._runner.finalized_live == 0
        _stored_equals_full(opt, sid)
    finally:
        opt.shutdown()
