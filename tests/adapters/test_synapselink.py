"""SynapseLink adapter: alerts reach quick_send in the spec's format, within seconds of the condition arising."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from sessionoptimizer_sdk import AdapterUnavailable, EventType, SessionOptimizer
from sessionoptimizer_sdk.adapters import SynapseLinkNotifier
from sessionoptimizer_sdk.alerts import Alert


def _wait_for(predicate: object, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def _alert(session_id: str, priority: str = "HIGH", rule: str = "low_efficiency") -> Alert:
    return Alert(session_id, "FORGE", rule, priority, "Efficiency 41.0% is below 70%", datetime.now(UTC))


def test_notify_sends_the_spec_message_to_the_priority_recipients(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace
) -> None:
    """A HIGH alert goes to LOGAN,TEAM with agent, task, efficiency, issues, waste and top issue in the body."""
    with optimizer.session("FORGE", "Plan feature X", model="opus") as s:
        for _ in range(4):
            s.log(
                EventType.FILE_READ, data={"file_path": "spec.md", "content_sha256": "a"}, tokens_input=6_000
            )
    report = optimizer.analyze(s.id)
    notifier = SynapseLinkNotifier(optimizer, teambrain.synapselink)
    notifier.notify(_alert(s.id))
    (sent,) = teambrain.synapselink.SENT
    assert (sent["to"], sent["priority"]) == ("LOGAN,TEAM", "HIGH")
    assert sent["subject"] == f"Low Efficiency Alert: {s.id}"
    top = report.issues[0].description if report.issues else "None"
    assert sent["body"].startswith(
        f"Agent: FORGE\nTask: Plan feature X\nEfficiency: {report.efficiency_score:.1f}%\n"
        f"Issues: {len(report.issues)}\nWaste: {report.total_waste_tokens:,} tokens\n\nTop Issue: {top}"
    )


def test_priorities_without_recipients_are_not_sent(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace
) -> None:
    """MEDIUM and LOW alerts are only logged by default; configured recipients change that per priority."""
    with optimizer.session("BOLT", "t") as s:
        pass
    default = SynapseLinkNotifier(optimizer, teambrain.synapselink)
    default.notify(_alert(s.id, "MEDIUM", "high_waste"))
    assert teambrain.synapselink.SENT == []
    custom = SynapseLinkNotifier(optimizer, teambrain.synapselink, recipients={"medium": "FORGE", "HIGH": ""})
    custom.notify(_alert(s.id, "MEDIUM", "high_waste"))
    custom.notify(_alert(s.id, "HIGH"))
    assert [(m["to"], m["subject"]) for m in teambrain.synapselink.SENT] == [
        ("FORGE", f"High Waste Alert: {s.id}")
    ]


def test_missing_function_raises_adapter_unavailable(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace
) -> None:
    """A module without quick_send is refused at creation, naming the missing function."""
    with pytest.raises(AdapterUnavailable, match="quick_send"):
        SynapseLinkNotifier(optimizer, teambrain.tokentracker)


def test_failing_quick_send_is_retried_by_the_engine_and_never_reaches_the_agent(
    optimizer: SessionOptimizer,
) -> None:
    """quick_send raising is retried off the agent's thread; the agent's session goes on undisturbed."""
    attempts: list[str] = []

    def quick_send(to: str, subject: str, body: str, priority: str = "NORMAL") -> None:
        attempts.append(subject)
        raise ConnectionError("synapse down")

    optimizer.add_notifier(SynapseLinkNotifier(optimizer, quick_send, retries=1))
    with optimizer.session("BOLT", "failing tools") as s:
        for _ in range(3):
            s.log(EventType.TOOL_CALL, data={"tool": "make"})
            s.log(EventType.ERROR, data={"tool": "make", "message": "Build failed"})
    assert optimizer.flush(30)
    assert _wait_for(lambda: len(attempts) >= 2)
    assert len(attempts) == 2  # first try + one retry, then given up
    assert optimizer.get_session(s.id).status.value == "COMPLETED"


def test_error_rate_alert_reaches_quick_send_within_seconds(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace
) -> None:
    """Logging the event that pushes an ACTIVE session over 30% errors gets quick_send called in seconds."""
    optimizer.add_notifier(SynapseLinkNotifier(optimizer, teambrain.synapselink))
    sent = teambrain.synapselink.SENT
    session = optimizer.start_session("BOLT", "Run test suite", "grok")
    optimizer.log_event(session.id, EventType.TOOL_CALL, data={"tool": "pytest"})
    optimizer.log_event(session.id, EventType.ERROR, data={"tool": "pytest", "message": "Build failed"})
    optimizer.log_event(session.id, EventType.TOOL_CALL, data={"tool": "pytest"})
    optimizer.log_event(session.id, EventType.ERROR, data={"tool": "pytest", "message": "Build failed"})
    optimizer.flush(10)
    time.sleep(1.5)  # let the live check of the first events run: below min_calls, nothing may fire
    assert sent == []
    arose = time.monotonic()
    optimizer.log_event(session.id, EventType.TOOL_CALL, data={"tool": "pytest"})  # 3 calls, 2 failed: 67%
    assert _wait_for(lambda: bool(sent), timeout=60)
    latency = sent[0]["at"] - arose
    assert sent[0]["subject"] == f"High Error Rate Alert: {session.id}"
    assert "Agent: BOLT\nTask: Run test suite\n" in sent[0]["body"]
    assert latency < 10, f"alert took {latency:.2f}s"
    optimizer.end_session(session.id)
