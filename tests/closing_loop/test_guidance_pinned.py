"""Guidance texts, figures, ranking and the marked block, pinned word for word on hand-built reports."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.guidance import Guidance, GuidanceItem, build_guidance
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.errors import InvalidFormat, InvalidInputError
from sessionoptimizer_sdk.reporting.guidance import (
    BEGIN_MARKER,
    END_MARKER,
    apply_block,
    remove_block,
    render_guidance,
)
from tests.analysis._builders import Events, session

ROOT = "/p"
REREAD_TEXT = (
    "`src/app.py`: its content stays in your context after you read it. Read it again only after it was "
    "edited; for more of it, read only lines you have not read yet."
)
RETRY_TEXT = (
    "When a `Bash` call fails, read the error and change the call before running it again; never repeat an "
    "identical failing call more than once."
)
TTL_TEXT = (
    "The prompt cache expired during idle gaps longer than its 5-minute TTL: use the 1-hour cache TTL for "
    "sessions with long pauses, or keep them warm."
)


def _f(kind: str, usd: float | None, tokens: int, avoidable: bool = True, **details: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "severity": "LOW",
        "description": kind,
        "waste_tokens": tokens,
        "waste_usd": usd,
        "avoidable": avoidable,
        "details": details,
    }


def _r(
    sid: str, findings: list[dict[str, Any]], recs: list[dict[str, Any]] | None = None
) -> OptimizationReport:
    return OptimizationReport.from_dict(
        {
            "session_id": sid,
            "agent": "ATLAS",
            "issues": findings,
            "recommendations": recs or [],
            "started_at": datetime(2026, 11, 1, tzinfo=UTC).isoformat(),
        }
    )


def _denied(what: str) -> dict[str, Any]:
    return {
        "title": "Allow-list the denied commands",
        "detail": f"1 tool call(s) were denied by permissions ({what}); these are not agent mistakes.",
    }


def _two_sessions() -> Guidance:
    """app.py re-read in s1 ($0.10, 1,000 tokens, 2 reads) and s2 ($0.05, 500, 1); a retry; a TTL miss; a denial."""
    return build_guidance(
        "ATLAS",
        [
            _r(
                "s1",
                [
                    _f(
                        "repeated_file_read",
                        0.10,
                        1_000,
                        file_path="/p/src/app.py",
                        redundant_reads=2,
                        ranges=["1-100"],
                    ),
                    _f("retry_loop", 0.30, 4_000, tool="Bash", attempts=4),
                ],
                [_denied("Bash: rm -rf build")],
            ),
            _r(
                "s2",
                [
                    _f(
                        "repeated_file_read",
                        0.05,
                        500,
                        file_path="/p/src/app.py",
                        redundant_reads=1,
                        ranges=["1-100", "200-250"],
                    ),
                    _f("cache_miss", 0.02, 9_000, cause="ttl_expired", ttl="5m", misses=3),
                ],
            ),
        ],
        days=14,
        root=ROOT,
    )


def test_item_texts_and_details_exact() -> None:
    """Each item's instruction and detail: occurrences, sessions, distinct ranges, USD to the cent and tokens."""
    g = _two_sessions()
    assert [(i.kind, i.subject, i.instruction, i.detail) for i in g.items] == [
        (
            "retry_command",
            "Bash",
            RETRY_TEXT,
            "failing retries 3 time(s) in 1 session(s); $0.30, 4,000 tokens",
        ),
        (
            "reread_file",
            "src/app.py",
            REREAD_TEXT,
            "re-read unchanged 3 time(s) in 2 session(s) (lines 1-100, 200-250); $0.15, 1,500 tokens",
        ),
        (
            "cache_ttl",
            "prompt cache",
            TTL_TEXT,
            "cache rewritten after idle 3 time(s) in 1 session(s); $0.02, 9,000 tokens",
        ),
        (
            "denied_command",
            "Bash: rm -rf build",
            "`Bash: rm -rf build` is denied by the permission settings: do not run it; ask the user instead.",
            "denied 1 time(s) in 1 session(s); allow-list it in the agent's permission settings if it is needed",
        ),
    ]
    assert [(i.sessions, i.occurrences, i.waste_tokens, i.waste_usd) for i in g.items] == [
        (1, 3, 4_000, 0.30),
        (2, 3, 1_500, 0.15),
        (1, 3, 9_000, 0.02),
        (1, 1, 0, None),
    ]


def test_text_format_exact() -> None:
    """The text format: a head line, then numbered items marked for the agent or for the settings."""
    assert render_guidance(_two_sessions(), "text") == (
        "Guidance for ATLAS from 2 analyzed session(s), last 14 day(s)\n"
        "\n"
        f"1. [agent] {RETRY_TEXT}\n"
        "   failing retries 3 time(s) in 1 session(s); $0.30, 4,000 tokens\n"
        f"2. [agent] {REREAD_TEXT}\n"
        "   re-read unchanged 3 time(s) in 2 session(s) (lines 1-100, 200-250); $0.15, 1,500 tokens\n"
        f"3. [settings] {TTL_TEXT}\n"
        "   cache rewritten after idle 3 time(s) in 1 session(s); $0.02, 9,000 tokens\n"
        "4. [agent] `Bash: rm -rf build` is denied by the permission settings: do not run it; ask the user "
        "instead.\n"
        "   denied 1 time(s) in 1 session(s); allow-list it in the agent's permission settings if it is needed\n"
    )
    empty = build_guidance("ATLAS", [], days=7)
    assert render_guidance(empty, " TEXT ") == (
        "Guidance for ATLAS from 0 analyzed session(s), last 7 day(s)\nNo recurring waste found: nothing to add.\n"
    )


def test_claude_md_and_agents_md_blocks_exact() -> None:
    """The marked block lists the agent's items only; Codex's AGENTS.md suggests sed slices, CLAUDE.md Read's."""
    items = (
        f"- {RETRY_TEXT} (failing retries 3 time(s) in 1 session(s); $0.30, 4,000 tokens)\n"
        f"- {REREAD_TEXT} (re-read unchanged 3 time(s) in 2 session(s) (lines 1-100, 200-250); $0.15, 1,500 "
        "tokens)\n"
        "- `Bash: rm -rf build` is denied by the permission settings: do not run it; ask the user instead. "
        "(denied 1 time(s) in 1 session(s); allow-list it in the agent's permission settings if it is needed)\n"
    )
    head = (
        f"{BEGIN_MARKER}\n"
        "## Token hygiene (generated by SessionOptimizer; edits inside this block are replaced)\n"
        "From 2 recent session(s), costliest habit first. "
    )
    g = _two_sessions()
    assert render_guidance(g, "claude-md") == (
        head + "Use Read's offset/limit for slices.\n" + items + f"{END_MARKER}\n"
    )
    assert render_guidance(g, "agents-md") == (
        head
        + "Read files in slices (`sed -n START,ENDp FILE`) rather than whole.\n"
        + items
        + f"{END_MARKER}\n"
    )
    ttl_only = build_guidance("ATLAS", [_r("s", [_f("cache_miss", 0.02, 9_000, cause="idle")])], days=7)
    assert render_guidance(ttl_only, "claude-md") == (
        f"{BEGIN_MARKER}\n"
        "## Token hygiene (generated by SessionOptimizer; edits inside this block are replaced)\n"
        "No recurring waste found in the last sessions.\n"
        f"{END_MARKER}\n"
    )


def test_json_format_exact() -> None:
    """JSON: indented by 2, non-ASCII kept, every figure, each item's audience, a closing newline."""
    item = GuidanceItem("cache_ttl", "prompt cache", "Garder le cache chaud", 1, 2, 300, 0.1234567, "détail")
    g = Guidance("ÉQUIPE", 7, 3, (item,), skipped=2)
    text = render_guidance(g, "json")
    assert text.endswith("}\n") and text.startswith('{\n  "agent": "ÉQUIPE",\n')
    assert json.loads(text) == {
        "agent": "ÉQUIPE",
        "days": 7,
        "sessions_analyzed": 3,
        "waste_tokens": 300,
        "waste_usd": 0.123457,
        "items": [
            {
                "kind": "cache_ttl",
                "subject": "prompt cache",
                "instruction": "Garder le cache chaud",
                "detail": "détail",
                "sessions": 1,
                "occurrences": 2,
                "waste_tokens": 300,
                "waste_usd": 0.123457,
                "for": "settings",
            }
        ],
        "items_below_min_sessions": 2,
    }
    assert Guidance("A", 1, 0, (item.__class__("reread_file", "x", "i", 1, 1, 5, None),)).waste_usd is None


@pytest.mark.parametrize("fmt", ["yaml", "", None, 3])
def test_unknown_guidance_format_names_the_valid_ones(fmt: Any) -> None:
    """Any other format, or a non-string one, is InvalidFormat listing text, claude-md, agents-md and json."""
    with pytest.raises(InvalidFormat, match=r"valid formats: text, claude-md, agents-md, json$"):
        render_guidance(build_guidance("A", [], days=1), fmt)


def test_ranking_breaks_ties_by_tokens_occurrences_kind_then_subject() -> None:
    """Equal USD: more tokens first, then more occurrences, then kind and subject; unpriced items come last."""
    same = 0.10
    g = build_guidance(
        "ATLAS",
        [
            _r(
                "s",
                [
                    _f("retry_loop", None, 99_999, tool="Edit", attempts=9),
                    _f("repeated_file_read", same, 1_000, file_path="a.py"),
                    _f("repeated_file_read", same, 2_000, file_path="b.py"),
                    _f("retry_loop", same, 1_000, tool="Bash", attempts=3),
                    _f("large_uncompressed_read", same, 1_000, file_path="c.py"),
                    _f("repeated_file_read", same, 1_000, file_path="0.py"),
                ],
            )
        ],
        days=1,
    )
    assert [i.subject for i in g.items] == ["b.py", "Bash", "c.py", "0.py", "a.py", "Edit"]
    assert g.waste_usd == 0.5  # five priced items at $0.10
    assert g.to_dict()["waste_tokens"] == 99_999 + 1_000 + 2_000 + 1_000 + 1_000 + 1_000


def test_defaults_when_details_are_missing() -> None:
    """Without counts a re-read, TTL miss and large read count once; a retry without attempts counts none."""
    g = build_guidance(
        "ATLAS",
        [
            _r(
                "s",
                [
                    _f("repeated_file_read", 0.4, 40, file_path="r.py"),
                    _f("cache_miss", 0.3, 30, cause="ttl_expired", ttl="5m"),
                    _f("large_uncompressed_read", 0.2, 20, file_path="l.py"),
                    _f("retry_loop", 0.1, 10, tool="Bash"),
                    _f("repeated_file_read", 9.0, 90),  # no file: nothing to say
                    _f("retry_loop", 9.0, 90),  # no tool: nothing to say
                ],
            )
        ],
        days=1,
    )
    assert [(i.kind, i.occurrences) for i in g.items] == [
        ("reread_file", 1),
        ("cache_ttl", 1),
        ("large_read", 1),
        ("retry_command", 0),
    ]
    assert g.items[0].detail == "re-read unchanged 1 time(s) in 1 session(s) (lines all); $0.40, 40 tokens"


def test_only_avoidable_five_minute_ttl_misses_advise_the_one_hour_ttl() -> None:
    """1-hour, automatic (Codex) and unavoidable TTL misses, model switches: no TTL guidance; 'idle' (old) does."""
    misses = [
        _f("cache_miss", 0.0, 0, avoidable=False, cause="ttl_expired", ttl="5m"),
        _f("cache_miss", 0.0, 0, avoidable=False, cause="ttl_expired", ttl="1h"),
        _f("cache_miss", 0.0, 0, cause="ttl_expired", ttl="automatic"),
        _f("cache_miss", 0.5, 900, cause="model_switch"),
        _f("cache_miss", 0.5, 900, cause="prefix_changed"),
    ]
    assert build_guidance("ATLAS", [_r("s", misses)], days=1).items == ()
    old = build_guidance("ATLAS", [_r("s", [_f("cache_miss", 0.01, 10, cause="idle", misses=2)])], days=1)
    assert [(i.kind, i.occurrences) for i in old.items] == [("cache_ttl", 2)]


def test_ttl_guidance_from_a_real_analysis() -> None:
    """A 10-minute pause whose rewrite the 1-hour TTL would have saved becomes the 1-hour TTL guidance item."""
    ev = Events()
    ev.call(cw=20_000)
    ev.call(cr=0, cw=20_010, gap=600)
    report = analyze_events(session(), ev.items)
    [miss] = [f for f in report.issues if f.type == "cache_miss"]
    assert (miss.details["cause"], miss.details["ttl"], miss.avoidable) == ("ttl_expired", "5m", True)
    [item] = build_guidance("ATLAS", [report], days=1).items
    assert (item.kind, item.instruction, item.waste_tokens) == ("cache_ttl", TTL_TEXT, miss.waste_tokens)


def test_ranges_listed_once_and_at_most_four() -> None:
    """A re-read item lists each range once, the first four only; a large read names its ranges the same way."""
    ranges = ["1-10", "1-10", "11-20", "21-30", "31-40", "41-50"]
    g = build_guidance(
        "ATLAS", [_r("s", [_f("repeated_file_read", 0.1, 10, file_path="/p/x.py", ranges=ranges)])], days=1
    )
    assert "(lines 1-10, 11-20, 21-30)" in g.items[0].detail  # first four entries, one duplicate


def test_money_and_token_formats() -> None:
    """USD shows two decimals with thousands separators; unpriced says so; no tokens says none were counted."""
    g = build_guidance(
        "ATLAS",
        [
            _r(
                "s",
                [
                    _f("repeated_file_read", 1234.5678, 1_234_567, file_path="/p/big.py"),
                    _f("repeated_file_read", None, 2_500, file_path="/p/free.py"),
                    _f("repeated_file_read", None, 0, file_path="/p/zero.py"),
                ],
            )
        ],
        days=1,
        root="/p/",
    )
    assert [i.detail.split("; ")[-1] for i in g.items] == [
        "$1,234.57, 1,234,567 tokens",
        "unpriced, 2,500 tokens",
        "no token cost counted",
    ]
    assert [i.subject for i in g.items] == ["big.py", "free.py", "zero.py"]  # root with a trailing slash


def test_paths_outside_the_root_stay_absolute_and_secrets_are_redacted() -> None:
    """A file outside the project keeps its path; bearer tokens, key=value secrets and long keys become '…'."""
    blob = "a1" * 20
    g = build_guidance(
        "ATLAS",
        [
            _r(
                "s",
                [_f("repeated_file_read", 0.1, 10, file_path="/elsewhere/y.py")],
                [
                    _denied(
                        f"Bash: curl -H Bearer abc.def, Bash: deploy PASSWORD=hunter2 now, Bash: get {blob}"
                    )
                ],
            )
        ],
        days=1,
        root=ROOT,
    )
    assert [i.subject for i in g.items] == [
        "/elsewhere/y.py",
        "Bash: curl -H Bearer …",
        "Bash: deploy PASSWORD=… now",
        "Bash: get …",
    ]


def test_apply_block_separators() -> None:
    """The block is appended after exactly one blank line, whatever the file ends with; an empty file is the block."""
    block = f"{BEGIN_MARKER}\nx\n{END_MARKER}\n"
    assert apply_block("", block) == block
    assert apply_block("a", block) == "a\n\n" + block
    assert apply_block("a\n", block) == "a\n\n" + block
    assert apply_block("a\n\n", block) == "a\n\n" + block
    at_end = f"a\n{BEGIN_MARKER}\nold\n{END_MARKER}"  # no newline after the end marker
    assert apply_block(at_end, block) == "a\n" + block


def test_remove_block_without_one_and_half_markers() -> None:
    """Removing from a file without the block changes nothing; a lone begin or end marker is refused."""
    assert remove_block("# notes\n") == "# notes\n"
    for damaged in (f"x\n{BEGIN_MARKER}\n", f"x\n{END_MARKER}\n"):
        with pytest.raises(InvalidInputError, match="markers are damaged"):
            remove_block(damaged)
        with pytest.raises(InvalidInputError):
            apply_block(damaged, f"{BEGIN_MARKER}\n{END_MARKER}\n")


LARGE_TEXT = "`src/big.py` is large: read only the lines you need (offset/limit, or a search) instead of the whole file"


def _large(sid: str, used: list[str]) -> OptimizationReport:
    recs = [
        {
            "title": "Shrink reads",
            "detail": f"Read lines {r} of big.py (the range used) instead of the whole file.",
        }
        for r in used
    ]
    return _r(sid, [_f("large_uncompressed_read", 0.08, 6_000, file_path="/p/src/big.py", reads=2)], recs)


def test_large_read_item_exact() -> None:
    """A large read without a known range, and with five (the first four listed, joined by commas)."""
    [plain] = build_guidance("ATLAS", [_large("s", [])], days=1, root=ROOT).items
    assert (plain.instruction, plain.detail) == (
        LARGE_TEXT + ".",
        "read whole 2 time(s) in 1 session(s); $0.08, 6,000 tokens",
    )
    ranges = ["1-10", "20-30", "40-50", "60-70", "80-90"]
    [item] = build_guidance(
        "ATLAS", [_large(f"s{i}", [r]) for i, r in enumerate(ranges)], days=1, root=ROOT
    ).items
    assert item.instruction == LARGE_TEXT + "; the lines used were 1-10, 20-30, 40-50, 60-70."
    assert (item.sessions, item.occurrences) == (5, 10)


def test_every_kind_counts_the_sessions_it_recurred_in() -> None:
    """The same retry, TTL miss, large read and denial in two sessions: each item says 2 session(s)."""
    findings = [
        _f("retry_loop", 0.1, 10, tool="Bash", attempts=2),
        _f("cache_miss", 0.1, 10, cause="ttl_expired", ttl="5m"),
        _f("large_uncompressed_read", 0.1, 10, file_path="/p/big.py"),
    ]
    reports = [_r(sid, findings, [_denied("Bash: make deploy")]) for sid in ("s1", "s2")]
    items = build_guidance("ATLAS", reports, days=1, root=ROOT).items
    assert {(i.kind, i.sessions) for i in items} == {
        ("retry_command", 2),
        ("cache_ttl", 2),
        ("large_read", 2),
        ("denied_command", 2),
    }


def test_unknown_finding_types_give_no_guidance() -> None:
    """A third-party finding naming a file is not mistaken for a large read or a re-read."""
    g = build_guidance("ATLAS", [_r("s", [_f("my_plugin_finding", 5.0, 900, file_path="/p/a.py")])], days=1)
    assert g.items == ()


def test_usd_is_kept_to_micro_dollars_and_at_most_eight_items() -> None:
    """Item USD rounds to 6 decimals ($0.1234567 -> 0.123457); nine recurring files give eight items by default."""
    files = [_f("repeated_file_read", 0.1234567 - i / 100, 10, file_path=f"/p/f{i}.py") for i in range(9)]
    g = build_guidance("ATLAS", [_r("s", files)], days=1, root=ROOT)
    assert len(g.items) == 8 and g.items[0].waste_usd == 0.123457
    assert [i.subject for i in g.items] == [f"f{i}.py" for i in range(8)]


def test_a_project_folder_whose_name_ends_in_x() -> None:
    """Only trailing slashes are trimmed from the root: files under /work/projX become relative to it."""
    g = build_guidance(
        "ATLAS",
        [_r("s", [_f("repeated_file_read", 0.1, 10, file_path="/work/projX/a.py")])],
        days=1,
        root="/work/projX",
    )
    assert [i.subject for i in g.items] == ["a.py"]


def test_damaged_marker_message_exact() -> None:
    """The damaged-marker error says what is expected and what to do."""
    with pytest.raises(InvalidInputError) as info:
        remove_block(f"{END_MARKER}\n{BEGIN_MARKER}\n")
    assert str(info.value) == (
        "the file's SessionOptimizer guidance markers are damaged (expected one begin marker followed by one end "
        "marker); fix or remove them by hand"
    )


def test_json_guidance_refuses_nan() -> None:
    """A NaN figure makes the JSON format raise instead of writing invalid JSON."""
    item = GuidanceItem("reread_file", "a.py", "i", 1, 1, 10, float("nan"))
    with pytest.raises(ValueError, match="JSON compliant"):
        render_guidance(Guidance("A", 1, 1, (item,)), "json")
