"""large_uncompressed_read's whole output pinned: saving by basis (session ratio, per-kind estimate), text, details.

The saving of a read is ``int(tokens x (1 - kept ratio))``; ``sonnet`` prices tool-result content at $3/M input.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.report import Finding, OptimizationReport, Severity
from sessionoptimizer_sdk.errors import ConfigurationError
from tests.analysis._builders import T0, Events, of_type, session

_SEARCH = "Grep, or Read with offset/limit"


def _report(ev: Events, config: AnalysisConfig | None = None) -> OptimizationReport:
    return analyze_events(session(), ev.items, config=config, now=T0 + timedelta(hours=1))


def _found(ev: Events, config: AnalysisConfig | None = None) -> list[Finding]:
    return of_type(_report(ev, config), "large_uncompressed_read")


def test_the_session_ratio_sums_every_compressed_read() -> None:
    """Two compressed reads (1,000 -> 200, 3,000 -> 1,800) give a 50% session ratio: a 4,000-token read saves 2,000."""
    ev = Events()
    ev.read("a.py", 200, compressed=True, original_tokens=1_000, compressed_tokens=200)
    ev.read("b.py", 1_800, compressed=True, original_tokens=3_000, compressed_tokens=1_800)
    ev.read("big.py", 4_000)
    report = _report(ev)
    [f] = of_type(report, "large_uncompressed_read")
    # kept = (200 + 1,800) / (1,000 + 3,000) = 0.5; saving = int(4,000 x 0.5) = 2,000 (no per-kind estimate named)
    assert f.description == (
        "big.py was read uncompressed 1 time(s) above 2,000 tokens; compression would save about 2,000 tokens"
    )
    assert f.severity is Severity.MEDIUM
    assert f.evidence == ("e2",)
    assert dict(f.details) == {
        "file_path": "big.py",
        "reads": 1,
        "estimated": True,
        "basis": ["session"],
        "compression_ratio": 0.5,
    }
    assert (f.waste_tokens, dict(f.waste_by_kind)) == (2_000, {"content": 2_000})
    assert f.waste_usd == pytest.approx(2_000 * 3e-6, abs=1e-12)  # $0.006
    [rec] = [r for r in report.recommendations if r.issue_types == ("large_uncompressed_read",)]
    assert rec.title == "Shrink reads of big.py"
    assert rec.detail == (
        f"Read only the part of big.py you need ({_SEARCH} first), "
        "or compress big.py with ContextCompressor as this session does for other reads."
    )
    assert rec.estimated_savings_tokens == 2_000


def test_a_log_file_uses_its_stated_kind_estimate_and_counts_both_reads() -> None:
    """Two 5,000-token reads of a log (20% kept) save 4,000 each; the text names the 20% estimate."""
    ev = Events()
    ev.read("logs/app.log", 5_000, offset=1, limit=400)
    ev.write("logs/app.log")  # changed in between: the second read is no re-read
    ev.read("logs/app.log", 5_000, offset=401, limit=400)
    [f] = _found(ev)
    # saving = 2 x int(5,000 x (1 - 0.2)) = 8,000
    assert f.description == (
        "app.log was read uncompressed 2 time(s) above 2,000 tokens; compression would save about 8,000 tokens "
        "(estimate: 20% kept for this kind of file)"
    )
    assert f.severity is Severity.HIGH
    assert f.evidence == ("e0", "e2")
    assert dict(f.details) == {
        "file_path": "logs/app.log",
        "reads": 2,
        "estimated": True,
        "basis": ["estimate:log"],
        "compression_ratio": 0.2,
    }
    assert f.waste_tokens == 8_000


def test_a_configured_ratio_is_named_as_configured_not_as_an_estimate() -> None:
    """A configured 25% kept share saves int(4,000 x 0.75) = 3,000 and the text says it was configured."""
    ev = Events()
    ev.read("notes.bin", 4_000)
    [f] = _found(ev, AnalysisConfig(assumed_compression_ratio=0.25))
    assert f.description == (
        "notes.bin was read uncompressed 1 time(s) above 2,000 tokens; compression would save about 3,000 tokens "
        "(assumed: 25% kept, as configured)"
    )
    assert (f.waste_tokens, f.details["basis"], f.details["compression_ratio"]) == (
        3_000,
        ["configured"],
        0.25,
    )


@pytest.mark.parametrize("ratio", [float("nan"), -0.1, 1.5])
def test_a_configured_ratio_that_is_not_a_share_is_refused(ratio: float) -> None:
    """A NaN, negative or over-1 assumed ratio is refused when the config is made, naming the field."""
    with pytest.raises(ConfigurationError, match="assumed_compression_ratio"):
        AnalysisConfig(assumed_compression_ratio=ratio)


@pytest.mark.parametrize(("tokens", "waste"), [(2_000, None), (2_001, 1_000)])
def test_threshold_boundary(tokens: int, waste: int | None) -> None:
    """A read of exactly 2,000 tokens is not flagged; 2,001 tokens of docs (50% kept) save int(1,000.5) = 1,000."""
    ev = Events()
    ev.read("README.md", tokens)
    assert [f.waste_tokens for f in _found(ev)] == ([] if waste is None else [waste])
