"""repeated_file_read's redundant lines, estimates, tail reads and carry-over, pinned on hand-built reads.

Density estimates: tokens per line of the finite ranges read so far; a read to the end of file covers
``tokens / density`` lines from its start. Carry-over: each later call that reads ``r`` of the ``A`` active
redundant tokens from cache carries every active token ``r / A`` times.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.report import Finding, OptimizationReport
from sessionoptimizer_sdk.models import EventType, SessionEvent
from tests.analysis._builders import T0, of_type, session


class _Log:
    def __init__(self) -> None:
        self.items: list[SessionEvent] = []

    def add(self, kind: EventType, **kw: Any) -> None:
        n = len(self.items)
        self.items.append(SessionEvent(f"e{n}", "s1", kind, T0 + timedelta(seconds=n + 1), seq=n, **kw))

    def read(
        self, path: str, tokens: int, *, offset: int | None = None, limit: int | None = None, **extra: Any
    ) -> None:
        data: dict[str, Any] = {"file_path": path, "result_tokens": tokens, **extra}
        if offset is not None:
            data["offset"] = offset
        if limit is not None:
            data["limit"] = limit
        self.add(EventType.FILE_READ, data=data)

    def call(self, cr: int = 0) -> None:
        self.add(EventType.AI_RESPONSE, tokens_input=10, cache_read_tokens=cr, tokens_output=5)

    def report(self) -> OptimizationReport:
        return analyze_events(session(), self.items, now=T0 + timedelta(hours=1))

    def found(self) -> list[Finding]:
        report = self.report()
        assert report.analyzer_errors == ()
        return of_type(report, "repeated_file_read")


def _one(log: _Log) -> Finding:
    (finding,) = log.found()
    return finding


def _facts(f: Finding) -> tuple[Any, ...]:
    d = f.details
    return d["redundant_tokens"], d["ranges"], d["estimated"]


def test_a_tail_read_after_the_whole_file_is_redundant() -> None:
    """`tail -n` after the whole file was read is redundant in full, shown as the range 'tail'."""
    log = _Log()
    log.read("a.py", 3_000)
    log.read("a.py", 100, tail_lines=20)
    assert _facts(_one(log)) == (100, ["tail"], False)


def test_a_tail_read_first_or_after_a_partial_read_is_not_redundant() -> None:
    """`tail -n` as the first read, or after only lines 1-10 were read, repeats nothing."""
    log = _Log()
    log.read("a.py", 100, tail_lines=20)
    assert log.found() == []
    log = _Log()
    log.read("a.py", 100, offset=1, limit=10)
    log.read("a.py", 100, tail_lines=20)
    assert log.found() == []


def test_a_full_reread_is_exact_and_a_range_shows_its_lines() -> None:
    """A whole-file re-read is exact (not estimated); a re-read of lines 1-10 shows as '1-10'."""
    log = _Log()
    log.read("a.py", 3_000)
    log.read("a.py", 3_000)
    assert _facts(_one(log)) == (3_000, ["1-end"], False)
    log = _Log()
    log.read("a.py", 300, offset=1, limit=10)
    log.read("a.py", 300, offset=1, limit=10)
    assert _facts(_one(log)) == (300, ["1-10"], False)


def test_a_billed_read_without_result_tokens_counts_its_input() -> None:
    """A read that logs no result_tokens is as big as its billed input tokens."""
    log = _Log()
    log.add(EventType.FILE_READ, tokens_input=700, data={"file_path": "a.py"})
    log.add(EventType.FILE_READ, tokens_input=700, data={"file_path": "a.py"})
    assert _facts(_one(log))[0] == 700


def test_a_one_token_reread_counts() -> None:
    """A re-read returning a single token is a 1-token redundant read."""
    log = _Log()
    log.read("a.py", 1)
    log.read("a.py", 1)
    assert _facts(_one(log))[0] == 1


def test_open_ended_read_is_estimated_from_the_density_so_far() -> None:
    """Lines 1-100 and 111-200 (1,900 tokens, 10/line); 210 tokens from line 91 span 91-111: 11 lines, 110 tokens."""
    log = _Log()
    log.read("a.py", 1_000, offset=1, limit=100)
    log.read("a.py", 900, offset=111, limit=90)
    log.read("a.py", 210, offset=91)
    assert _facts(_one(log)) == (110, ["91-end"], True)


def test_open_ended_read_with_under_one_token_per_line() -> None:
    """50 tokens over lines 1-100 (0.5/line); 100 tokens from line 51 span 51-250, of which 51-100 are known: 25."""
    log = _Log()
    log.read("a.py", 50, offset=1, limit=100)
    log.read("a.py", 100, offset=51)
    assert _facts(_one(log)) == (25, ["51-end"], True)


def test_no_density_no_estimate() -> None:
    """With only an open-ended read from line 51 known, a read from line 1 cannot be estimated: nothing redundant."""
    log = _Log()
    log.read("a.py", 100, offset=51)
    log.read("a.py", 100, offset=1)
    assert log.found() == []


def test_evidence_names_the_three_reads_before() -> None:
    """A re-read of lines 1-30 after three reads of 1-10, 11-20, 21-30 cites all three and itself."""
    log = _Log()
    for k in range(3):
        log.read("a.py", 100, offset=10 * k + 1, limit=10)
    log.read("a.py", 300, offset=1, limit=30)
    finding = _one(log)
    assert finding.evidence == ("e0", "e1", "e2", "e3")
    assert _facts(finding) == (300, ["1-30"], False)


def test_carry_over_is_shared_by_the_active_redundant_reads() -> None:
    """b.py's 100 tokens are carried 1 + 0.5 + 1 times (250); a.py's 1,000, opened later, once (1,000)."""
    log = _Log()
    log.read("b.py", 100)
    log.read("b.py", 100)
    log.call()  # b.py's redundant read becomes active (100 tokens)
    log.call(cr=100)  # 100 of 100 active: carried once
    log.read("a.py", 1_000)
    log.read("a.py", 1_000)
    log.call(cr=50)  # 50 of 100 active: carried 0.5 times; then a.py becomes active (1,100 in all)
    log.call(cr=1_100)  # 1,100 of 1,100: carried once
    carried = {f.details["file_path"]: f.details["carryover_cache_read_tokens"] for f in log.found()}
    assert carried == {"b.py": 250, "a.py": 1_000}


def test_a_single_carried_token_is_reported() -> None:
    """A 1-token redundant read read once from cache by a later call carries 1 token, named in the description."""
    log = _Log()
    log.read("c.py", 1)
    log.read("c.py", 1)
    log.call()
    log.call(cr=1)
    finding = _one(log)
    assert finding.details["carryover_cache_read_tokens"] == 1
    assert finding.description == (
        "c.py was read again unchanged 1 time(s): 1 redundant tokens, carried as 1 cache-read tokens by later calls"
    )


def test_an_open_ended_read_past_the_known_lines_leaves_the_density_alone() -> None:
    """An open-ended read adds no line count: 1-100 at 10/line, 200-end, then 2,000 tokens from 50: 1,010 known.

    Lines 50-249 are what 2,000 tokens at 10 per line span; 50-100 and 200-249 (101 lines) were read before.
    """
    log = _Log()
    log.read("a.py", 1_000, offset=1, limit=100)
    log.read("a.py", 500, offset=200)
    log.read("a.py", 2_000, offset=50)
    assert _facts(_one(log)) == (1_010, ["50-end"], True)


def test_a_tail_read_after_a_read_from_line_two_is_not_redundant() -> None:
    """Lines 2 to the end were read, line 1 never: a file shorter than the tail would show line 1 again."""
    log = _Log()
    log.read("a.py", 3_000, offset=2)
    log.read("a.py", 100, tail_lines=20)
    assert log.found() == []


def test_a_one_token_tail_read_after_the_whole_file_counts() -> None:
    """A `tail` returning a single token after the whole file was read is a 1-token redundant read."""
    log = _Log()
    log.read("a.py", 3_000)
    log.read("a.py", 1, tail_lines=1)
    assert _facts(_one(log)) == (1, ["tail"], False)


def test_evidence_of_a_later_reread_names_the_tail_read_before_it() -> None:
    """Whole file, `tail`, whole file again: both repeats are cited, the tail read by its own id."""
    log = _Log()
    log.read("a.py", 3_000)
    log.read("a.py", 100, tail_lines=20)
    log.read("a.py", 3_000)
    finding = _one(log)
    assert finding.evidence == ("e0", "e1", "e2")
    assert _facts(finding) == (3_100, ["tail", "1-end"], False)
