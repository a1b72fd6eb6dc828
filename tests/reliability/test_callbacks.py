"""User callbacks (report listeners, notifiers) cannot stop or stall alerting; our threads record no spans."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from sessionoptimizer_sdk.alerts import Alert, CallableNotifier, WebhookNotifier
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.analysis.runner import AnalysisRunner
from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.store.sqlite import SQLiteStore
from tests.analysis._builders import Events, session


def _runner(tmp_path: Path, sessions: int, **kwargs: Any) -> AnalysisRunner:
    """A runner over a real store holding ``sessions`` ended sessions that each fire high_error_rate."""
    settings = Settings.from_env(home=tmp_path / "home")
    store = SQLiteStore(settings.db_path)
    for n in range(sessions):
        sid = f"s{n}"
        store.upsert_session(session(sid=sid))
        ev = Events(sid=sid)
        for _ in range(3):
            ev.tool("Bash", "same", error="exit 1")
        store.insert_events(ev.items)
    runner = AnalysisRunner(store, settings, **kwargs)
    runner.engine.callback_timeout = 0.5
    return runner


def test_listener_raising_system_exit_does_not_stop_alerting(tmp_path: Path) -> None:
    """A report listener raising SystemExit, and a notifier raising KeyboardInterrupt, leave later alerts firing."""
    got: list[Alert] = []

    def bad_notifier(alert: Alert) -> None:
        raise KeyboardInterrupt

    def bad_listener(report: OptimizationReport) -> None:
        raise SystemExit(3)

    runner = _runner(
        tmp_path,
        2,
        notifiers=[CallableNotifier(bad_notifier, retries=0), CallableNotifier(got.append, retries=0)],
    )
    runner.engine.report_listeners.append(bad_listener)
    runner.submit("s0", final=True)
    assert runner.flush(20)
    runner.submit("s1", final=True)  # the analysis thread must still be alive for this one
    assert runner.flush(20)
    assert {a.session_id for a in got if a.rule == "high_error_rate"} == {"s0", "s1"}
    # per session: the listener once and the KeyboardInterrupt notifier once per fired alert
    fired = len(got)
    assert runner.engine.failed_callbacks == 2 + fired
    assert runner.store.counters()["callback_failures"] == 2 + fired
    runner.close(5)


def test_hanging_listener_does_not_block_later_reports(tmp_path: Path) -> None:
    """A report listener that never returns is abandoned after its timeout; the next session is still analyzed."""
    release = threading.Event()
    seen: list[str] = []

    def hanging(report: OptimizationReport) -> None:
        seen.append(report.session_id)
        if report.session_id == "s0":
            release.wait(30)

    runner = _runner(tmp_path, 2)
    runner.engine.report_listeners.append(hanging)
    runner.submit("s0", final=True)
    runner.submit("s1", final=True)
    assert runner.flush(20)
    assert seen == ["s0", "s1"]
    assert runner.store.get_report("s1") is not None
    assert runner.engine.failed_callbacks == 1
    release.set()
    runner.close(5)


def test_background_threads_run_with_instrumentation_suppressed(tmp_path: Path) -> None:
    """A host urllib instrumentation (which honours suppression) records no span for our webhook call."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("host.urllib.instrumentation")
    import urllib.request

    real_open = urllib.request.OpenerDirector.open

    def traced_open(self: urllib.request.OpenerDirector, *args: Any, **kwargs: Any) -> Any:
        if not is_instrumentation_enabled():  # what opentelemetry-instrumentation-urllib checks
            return real_open(self, *args, **kwargs)
        with tracer.start_as_current_span("POST"):
            return real_open(self, *args, **kwargs)

    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    urllib.request.OpenerDirector.open = traced_open  # type: ignore[method-assign]
    try:
        hook = WebhookNotifier(f"http://127.0.0.1:{server.server_port}/hook", timeout=5, retries=0)
        runner = _runner(tmp_path, 1, notifiers=[hook])
        runner.submit("s0", final=True)
        assert runner.flush(20)
        runner.close(5)
        with tracer.start_as_current_span("host request"):  # the host's own call is still traced
            urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/x", data=b"{}", timeout=5).close()
    finally:
        urllib.request.OpenerDirector.open = real_open  # type: ignore[method-assign]
        server.shutdown()
        server.server_close()
        provider.shutdown()
    assert len(bodies) >= 2  # our alert(s) and the host's request reached the server
    names = [s.name for s in exporter.get_finished_spans()]
    assert names.count("POST") == 1 and "host request" in names


def test_spans_started_with_instrumentation_suppressed_belong_to_no_session(home: Path) -> None:
    """A model-call span started under the suppress key (our own threads' I/O) is not stored in the live session."""
    from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, attach, detach, set_value

    from sessionoptimizer_sdk import EventType, SessionOptimizer

    provider = TracerProvider()
    tracer = provider.get_tracer("host.instrumentation")
    opt = SessionOptimizer(home, tracer_provider=provider)

    def model_call(suppressed: bool) -> None:
        token = attach(set_value(_SUPPRESS_INSTRUMENTATION_KEY, True)) if suppressed else None
        try:
            with tracer.start_as_current_span("chat") as span:
                span.set_attribute("gen_ai.usage.input_tokens", 7 if suppressed else 11)
        finally:
            if token is not None:
                detach(token)

    try:
        with opt.session("ATLAS", "only live session", model="sonnet") as s:
            s.log(EventType.AI_RESPONSE, tokens_output=1)
            for suppressed in (True, False):  # a bare thread sees the process's only live session
                worker = threading.Thread(target=model_call, args=(suppressed,))
                worker.start()
                worker.join()
        assert opt.flush(10)
        inputs = sorted(e.tokens_input for e in opt.get_events(s.id))
    finally:
        opt.shutdown()
        provider.shutdown()
    assert inputs == [0, 11]  # our event and the host's unsuppressed call; the suppressed one is not ours
