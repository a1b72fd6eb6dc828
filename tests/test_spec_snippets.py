"""Every ``python`` code block of the spec runs as written, against fakes of the Team Brain tools and a real store.

The blocks are read from ``../shared/spec/sessionoptimizer-integration-plan.md`` at test time (never retyped).
Each runs with ``exec`` in fresh globals; names a snippet uses without defining (``optimizer``, ``EventType``,
``session_id``, ``session``) are pre-bound, as the surrounding prose implies. One mechanical completion rule
applies: a snippet that ends in a block header whose body is only comments gets ``pass`` as that body (the
FORGE pattern's ``if report.efficiency_score < 80: # Adjust planning approach``). Two blocks are listings, not
programs (the BCH endpoint list and the API signature list): they are checked against the real API instead.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import sessionoptimizer
import sessionoptimizer_sdk
from sessionoptimizer_sdk import EventType, Session, SessionOptimizer, SessionStatus
from sessionoptimizer_sdk import optimizer as optimizer_module
from tests._paths import SPEC

REPO = Path(__file__).resolve().parents[1]

TEAMBRAIN = REPO / "tests" / "adapters" / "teambrain"
TOOLS = ("tokentracker", "contextcompressor", "errorrecovery", "synapselink", "agenthealth")
LISTINGS = {"API Endpoints for BCH", "Python API"}

_BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
_HEADING = re.compile(r"^#{2,4} (.+)$", re.M)


def spec_blocks() -> list[tuple[str, str]]:
    """(nearest heading, code) for every ```python block of the spec, in order."""
    text = SPEC.read_text(encoding="utf-8")
    blocks = []
    for match in _BLOCK.finditer(text):
        headings = _HEADING.findall(text, 0, match.start())
        title = re.sub(r"\s*\(.*\)$", "", headings[-1]).strip()
        blocks.append((title, match.group(1)))
    return blocks


def complete(code: str) -> str:
    """The documented completion rule: a trailing block header with a comment-only body gets ``pass``."""
    try:
        compile(code, "<spec>", "exec")
        return code
    except SyntaxError:
        lines = code.rstrip().splitlines()
        tail = [ln for ln in lines if ln.strip()]
        body = []
        while tail and tail[-1].lstrip().startswith("#"):
            body.append(tail.pop())
        if body and tail and tail[-1].rstrip().endswith(":"):
            indent = body[-1][: len(body[-1]) - len(body[-1].lstrip())]
            return code.rstrip() + f"\n{indent}pass\n"
        return code


def _compiles(code: str) -> bool:
    try:
        compile(code, "<spec>", "exec")
    except SyntaxError:
        return False
    return True


BLOCKS = spec_blocks()
PROGRAMS = [(title, complete(code)) for title, code in BLOCKS if title not in LISTINGS]


@pytest.fixture
def teambrain(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    """Fresh fakes of the five Team Brain tools, importable by their real names (``from synapselink import ...``)."""
    monkeypatch.syspath_prepend(str(TEAMBRAIN))
    names = (*TOOLS, "_record")
    for name in names:
        sys.modules.pop(name, None)
    yield SimpleNamespace(**{name: importlib.import_module(name) for name in TOOLS})
    for name in names:
        sys.modules.pop(name, None)


@pytest.fixture
def spec_env(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Globals pre-bound for the snippets: an optimizer on the test's store and one finished, wasteful session."""
    defaults: dict[Path, SessionOptimizer] = {}
    monkeypatch.setattr(optimizer_module, "_defaults", defaults)  # get_optimizer() builds one for this store
    opt = SessionOptimizer()
    session = opt.start_session("FORGE", "Plan feature X", "opus")
    for _ in range(4):  # the same unchanged file read four times, and a build that keeps failing
        opt.log_event(
            session.id,
            EventType.FILE_READ,
            data={"file_path": "spec.md", "content_sha256": "a"},
            tokens_input=8_000,
        )
    for _ in range(3):
        opt.log_event(session.id, EventType.TOOL_CALL, data={"tool": "make", "args_sha256": "b"})
        opt.log_event(session.id, EventType.ERROR, data={"tool": "make", "message": "Build failed"})
    session = opt.end_session(session.id)
    yield {"optimizer": opt, "EventType": EventType, "session_id": session.id, "session": session}
    opt.shutdown(timeout=10)
    for default in defaults.values():
        default.shutdown(timeout=10)


def _run(code: str, env: dict[str, Any]) -> dict[str, Any]:
    scope = {"__name__": "__spec__", **env}
    exec(compile(code, "<spec>", "exec"), scope)
    return scope


def _events(opt: SessionOptimizer, session: Session, etype: EventType) -> list[Any]:
    return [e for e in opt.get_events(session.id) if e.event_type is etype]


def _new_session(scope: dict[str, Any]) -> tuple[SessionOptimizer, Session]:
    opt = scope["optimizer"]
    return opt, opt.get_session(scope["session"].id)


# What each snippet must have done, checked on the real store after it ran.
def _forge(scope: dict[str, Any], tb: SimpleNamespace) -> None:
    _, s = _new_session(scope)
    assert (s.agent, s.model) == ("FORGE", "opus")
    assert s.tokens.output_tokens == 2_800 and s.tokens.reasoning_tokens == 800
    assert scope["report"].session_id == s.id


def _atlas(scope: dict[str, Any], tb: SimpleNamespace) -> None:
    opt, s = _new_session(scope)
    (read,) = _events(opt, s, EventType.FILE_READ)
    assert read.data["compressed"] is True and read.tokens_input == 2_400
    assert [e.data["tool"] for e in _events(opt, s, EventType.TOOL_CALL)] == ["pytest"]


def _bolt(scope: dict[str, Any], tb: SimpleNamespace) -> None:
    opt, s = _new_session(scope)
    (error,) = _events(opt, s, EventType.ERROR)
    assert error.data["recoverable"] is True and s.model == "grok"


def _clio(scope: dict[str, Any], tb: SimpleNamespace) -> None:
    opt, s = _new_session(scope)
    assert _events(opt, s, EventType.FILE_WRITE)[0].data["file_path"] == "/etc/config"


def _tokentracker(scope: dict[str, Any], tb: SimpleNamespace) -> None:
    opt, s = _new_session(scope)
    assert s.model == "unknown"  # start_session(agent, task) without a model
    (usage,) = _events(opt, s, EventType.TOKEN_USAGE)
    assert usage.data == {"source": "TokenTracker", "model": "opus"}


def _contextcompressor(scope: dict[str, Any], tb: SimpleNamespace) -> None:
    opt, s = _new_session(scope)
    (read,) = _events(opt, s, EventType.FILE_READ)
    assert (read.data["original_tokens"], read.data["compressed_tokens"], read.tokens_input) == (
        10_000,
        2_400,
        2_400,
    )


def _errorrecovery(scope: dict[str, Any], tb: SimpleNamespace) -> None:
    opt, s = _new_session(scope)
    assert scope["result"] is None and _events(opt, s, EventType.ERROR) == []


def _synapselink(scope: dict[str, Any], tb: SimpleNamespace) -> None:
    (sent,) = tb.synapselink.SENT
    sid = scope["session_id"]
    assert (sent["to"], sent["priority"], sent["subject"]) == (
        "LOGAN,TEAM",
        "HIGH",
        f"Low Efficiency Alert: {sid}",
    )
    assert sent["body"].startswith("Agent: FORGE\nTask: Plan feature X\nEfficiency: ")


def _agenthealth(scope: dict[str, Any], tb: SimpleNamespace) -> None:
    (sent,) = tb.agenthealth.REPORTS
    assert sent["session_id"] == scope["session_id"]
    assert sent["metrics"]["issue_count"] == len(scope["report"].issues) > 0


def _monitoring(scope: dict[str, Any], tb: SimpleNamespace) -> None:
    subjects = [m["subject"] for m in tb.synapselink.SENT]
    assert subjects == ["Efficiency Alert: FORGE"]
    assert tb.synapselink.SENT[0]["body"].startswith(f"Session: {scope['session_id']}\nEfficiency: ")


CHECKS: dict[str, Callable[[dict[str, Any], SimpleNamespace], None]] = {
    "FORGE": _forge,
    "ATLAS": _atlas,
    "BOLT": _bolt,
    "CLIO": _clio,
    "TokenTracker Integration": _tokentracker,
    "ContextCompressor Integration": _contextcompressor,
    "ErrorRecovery Integration": _errorrecovery,
    "SynapseLink Integration": _synapselink,
    "AgentHealth Integration": _agenthealth,
    "Automated Monitoring": _monitoring,
}


def test_the_spec_has_the_expected_snippets() -> None:
    """Every python block is either a checked program or one of the two listings (a new block must be added)."""
    assert {title for title, _ in BLOCKS} == set(CHECKS) | LISTINGS
    assert all(not _compiles(complete(code)) for title, code in BLOCKS if title in LISTINGS)


def test_completion_rule_only_adds_pass_to_comment_only_bodies() -> None:
    """The completion rule fills a comment-only trailing body and leaves complete or other code untouched."""
    assert complete("if x:\n    # later\n") == "if x:\n    # later\n    pass\n"
    assert complete("x = 1\n") == "x = 1\n"
    assert complete("GET /api/x\n") == "GET /api/x\n"


@pytest.mark.parametrize(("title", "code"), PROGRAMS, ids=[t for t, _ in PROGRAMS])
def test_spec_snippet_runs_unchanged(
    title: str, code: str, spec_env: dict[str, Any], teambrain: SimpleNamespace
) -> None:
    """The snippet runs as written through ``sessionoptimizer`` and leaves the documented trace in the store."""
    before = {s.id for s in spec_env["optimizer"].list_sessions()}
    scope = _run(code, spec_env)
    if "session" in scope and isinstance(scope["session"], Session) and scope["session"].id not in before:
        scope["optimizer"].get_session(scope["session"].id)  # the snippet's own session is stored
    CHECKS[title](scope, teambrain)


def test_python_api_listing_matches_the_facade() -> None:
    """Each method in the spec's API listing exists with the listed parameters, in order, and listed defaults."""
    (listing,) = [code for title, code in BLOCKS if title == "Python API"]
    signatures = re.findall(r"def (\w+)\((.*?)\)", listing)
    assert len(signatures) == 10
    for name, params in signatures:
        real = inspect.signature(getattr(SessionOptimizer, name))
        names = [p for p in real.parameters if p != "self"]
        listed = [p.strip() for p in params.split(",") if p.strip()]
        assert [p.split("=")[0] for p in listed] == names[: len(listed)], name
        for item in listed:
            if "=" in item:
                key, raw = item.split("=")
                default = real.parameters[key].default
                expected = SessionStatus[raw] if raw in SessionStatus.__members__ else eval(raw)
                assert default == expected, f"{name}({key})"


def test_bch_endpoint_listing_matches_the_rest_api() -> None:
    """Each ``GET /api/...`` path of the spec's BCH listing is a route of the REST API."""
    api = pytest.importorskip("sessionoptimizer_sdk.server.api")
    (listing,) = [code for title, code in BLOCKS if title == "API Endpoints for BCH"]
    wanted = {path.split("?")[0] for path in re.findall(r"^GET (\S+)", listing, re.M)}
    assert len(wanted) == 4
    # a path parameter's converter (``{agent_name:name}``: any text, slashes included) is not part of the path
    assert wanted <= {re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path) for route in api.api_routes()}


def test_sessionoptimizer_is_the_same_api_as_sessionoptimizer_sdk() -> None:
    """``import sessionoptimizer`` exposes the very same objects as ``sessionoptimizer_sdk`` (no copy)."""
    for name in sessionoptimizer_sdk.__all__:
        assert getattr(sessionoptimizer, name) is getattr(sessionoptimizer_sdk, name), name
