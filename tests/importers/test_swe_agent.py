"""SWE-agent trajectories: real ``.traj`` runs, including a failed-edit retry loop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessionoptimizer_sdk.importers.swe_agent import _split, load_trajectory
from sessionoptimizer_sdk.models import ErrorKind, EventType
from tests.importers._import_fixtures import SWE_FILES


@pytest.mark.parametrize("path", SWE_FILES, ids=lambda p: p.name)
def test_token_totals_and_calls_match_the_run_statistics(path: Path) -> None:
    """The run's tokens_sent/received are split over exactly api_calls AI_RESPONSE events, summing exactly."""
    stats = json.loads(path.read_text(encoding="utf-8"))["info"]["model_stats"]
    imported = load_trajectory(path)
    responses = [e for e in imported.events if e.event_type is EventType.AI_RESPONSE]
    assert len(responses) == stats["api_calls"]
    assert imported.session.tokens.input_tokens == stats["tokens_sent"]
    assert imported.session.tokens.output_tokens == stats["tokens_received"]
    assert all(e.data["tokens_estimated"] for e in responses)


@pytest.mark.parametrize("path", SWE_FILES, ids=lambda p: p.name)
def test_one_tool_event_per_step(path: Path) -> None:
    """Each trajectory step becomes exactly one TOOL_CALL, FILE_READ or FILE_WRITE with hashed arguments."""
    steps = json.loads(path.read_text(encoding="utf-8"))["trajectory"]
    tools = [
        e
        for e in load_trajectory(path).events
        if e.event_type in {EventType.TOOL_CALL, EventType.FILE_READ, EventType.FILE_WRITE}
    ]
    assert len(tools) == len(steps)
    assert [e.name for e in tools] == [s["action"].split()[0] for s in steps]
    assert all(len(e.data["args_sha256"]) == 64 for e in tools)


def test_failed_edit_retry_loop_is_visible() -> None:
    """pydicom-1458's three consecutive rejected edits are agent ERRORs, two with identical arguments."""
    path = next(p for p in SWE_FILES if p.stem == "pydicom__pydicom-1458")
    events = load_trajectory(path).events
    errors = [e for e in events if e.event_type is EventType.ERROR and e.name == "edit"]
    assert len(errors) == 3
    assert {e.data["error_kind"] for e in errors} == {ErrorKind.AGENT_ERROR.value}
    failed_edits = [e for e in events if e.event_type is EventType.FILE_WRITE and e.data.get("failed")]
    steps = [int(e.data["tool_call_id"].removeprefix("step")) for e in failed_edits]
    assert steps == list(range(steps[0], steps[0] + 3))
    hashes = [e.data["args_sha256"] for e in failed_edits]
    assert len(set(hashes)) == 2
    assert all(e.data["file_path"].endswith("numpy_handler.py") for e in failed_edits)


@given(total=st.integers(min_value=0, max_value=10**9), weights=st.lists(st.integers(0, 10**6), max_size=50))
def test_split_is_exact_and_proportional(total: int, weights: list[int]) -> None:
    """Splitting a total over calls never loses or invents a token and never goes negative."""
    parts = _split(total, weights)
    assert len(parts) == len(weights)
    if weights:
        assert sum(parts) == total
        assert min(parts) >= 0
        if sum(weights):
            assert all(w > 0 or p == 0 for w, p in zip(weights, parts, strict=True))


@pytest.mark.parametrize("path", SWE_FILES, ids=lambda p: p.name)
def test_a_gpt4_run_costs_what_swe_agent_itself_reported(path: Path) -> None:
    """A ``gpt4`` run is priced as the model SWE-agent ran (gpt-4-1106-preview): its cost equals the run's own."""
    from sessionoptimizer_sdk.analysis.engine import analyze_events

    stats = json.loads(path.read_text(encoding="utf-8"))["info"]["model_stats"]
    imported = load_trajectory(path)
    assert path.parent.name.startswith("gpt4__")  # every fixture run was made with model_name gpt4
    assert imported.session.model == "gpt-4-1106-preview"
    report = analyze_events(imported.session, imported.events)
    # SWE-agent priced gpt-4-1106-preview at $10 / $30 per million tokens sent / received
    expected = stats["tokens_sent"] * 10e-6 + stats["tokens_received"] * 30e-6
    assert report.cost_usd == pytest.approx(expected, rel=1e-6)
    if (
        path.parent / "args.yaml"
    ).exists():  # runs whose own settings name the model agree with SWE-agent's bill
        assert report.cost_usd == pytest.approx(stats["instance_cost"], abs=0.01)
