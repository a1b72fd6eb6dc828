"""``sessionoptimizer import``: the click command against a temporary store (SESSIONOPTIMIZER_HOME)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sessionoptimizer_sdk.cli._import import import_command
from sessionoptimizer_sdk.store.sqlite import SQLiteStore
from tests.importers._import_fixtures import CLAUDE_DIRS, CLAUDE_FILES, has_session


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner whose store lives in tmp_path."""
    monkeypatch.setenv("SESSIONOPTIMIZER_HOME", str(tmp_path / "home"))
    return CliRunner()


def _store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "home" / "sessionoptimizer.db")


def test_import_prints_a_summary_table_and_stores_sessions(runner: CliRunner, tmp_path: Path) -> None:
    """Importing the real transcripts exits 0, prints the summary and stores every session."""
    result = runner.invoke(import_command, ["claude-code", *map(str, CLAUDE_DIRS)])
    assert result.exit_code == 0, result.output
    assert "Sessions created or updated" in result.output
    assert "no session records in this file" in result.output
    assert "placeholders" in result.output  # 2.1.x output tokens are flagged as lower bounds
    assert _store(tmp_path).count_sessions() == sum(1 for p in CLAUDE_FILES if has_session(p))


def test_json_format_and_idempotence(runner: CliRunner) -> None:
    """--format json prints a parseable summary; a second run imports nothing new and still exits 0."""
    first = runner.invoke(import_command, ["claude-code", "--format", "json", *map(str, CLAUDE_DIRS)])
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert data["sessions"] == sum(1 for p in CLAUDE_FILES if has_session(p))
    assert data["skipped"][0]["line"] == 0
    assert data["output_incomplete_sessions"]
    second = runner.invoke(import_command, ["claude-code", "--format", "json", *map(str, CLAUDE_DIRS)])
    assert second.exit_code == 0
    assert (json.loads(second.stdout)["events"], json.loads(second.stdout)["unchanged_files"]) == (
        0,
        len(CLAUDE_FILES),
    )


def test_agent_option_names_the_sessions(runner: CliRunner, tmp_path: Path) -> None:
    """--agent overrides the agent name stored on imported sessions."""
    path = next(p for p in CLAUDE_FILES if p.name.startswith("fed8ce56"))
    assert runner.invoke(import_command, ["claude-code", "--agent", "forge", str(path)]).exit_code == 0
    assert [s.agent for s in _store(tmp_path).list_sessions()] == ["forge"]


def test_unreadable_path_gives_a_message_not_a_traceback(runner: CliRunner, tmp_path: Path) -> None:
    """A missing path exits 1 with a clear one-line error."""
    result = runner.invoke(import_command, ["codex", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert "cannot read" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_nothing_readable_exits_non_zero(runner: CliRunner, tmp_path: Path) -> None:
    """A file of malformed lines only is reported line by line and the command exits 1."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text("nope\n{also bad\n", encoding="utf-8")
    result = runner.invoke(import_command, ["claude-code", str(bad)])
    assert "bad.jsonl:1" in result.output
    assert "bad.jsonl:2" in result.output
    assert result.exit_code == 1
    good = next(p for p in CLAUDE_FILES if p.name.startswith("fed8ce56"))
    mixed = tmp_path / "mixed" / good.name
    mixed.parent.mkdir()
    mixed.write_text("nope\n" + good.read_text(encoding="utf-8"), encoding="utf-8")
    assert runner.invoke(import_command, ["claude-code", str(mixed)]).exit_code == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(import_command, ["claude-code", str(empty)]).exit_code == 1


def test_follow_stops_after_the_given_time(runner: CliRunner, tmp_path: Path) -> None:
    """--follow --stop-after imports, follows briefly, then prints the summary and exits 0."""
    path = next(p for p in CLAUDE_FILES if p.name.startswith("fed8ce56"))
    result = runner.invoke(
        import_command,
        ["claude-code", "--follow", "--stop-after", "0.3", "--poll-interval", "0.05", str(path)],
    )
    assert result.exit_code == 0, result.output
    assert "Following claude-code transcripts" in result.output
    assert _store(tmp_path).count_sessions() == 1


def test_absurd_and_infinite_token_counts_are_capped_and_later_files_still_import(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A usage of 1e300 is stored capped at 2**40 and one of 1e400 (infinity) as 0; the files after them import."""
    folder = tmp_path / "t"
    folder.mkdir()
    for name, tokens in (("a-good", "10"), ("b-huge", "1e300"), ("c-inf", "1e400"), ("d-good", "20")):
        lines = [
            {
                "type": "user",
                "sessionId": name,
                "uuid": "u1",
                "timestamp": "2026-01-01T00:00:00Z",
                "message": {"role": "user", "content": "hi"},
            },
            {
                "type": "assistant",
                "sessionId": name,
                "uuid": "u2",
                "timestamp": "2026-01-01T00:00:05Z",
                "message": {
                    "id": "m1",
                    "model": "claude-sonnet-4-5",
                    "role": "assistant",
                    "content": [{"type": "text", "text": "ok"}],
                    "usage": {"input_tokens": "@", "output_tokens": 5},
                },
            },
        ]
        text = "\n".join(json.dumps(line) for line in lines).replace('"@"', tokens)
        (folder / f"{name}.jsonl").write_text(text + "\n")
    result = runner.invoke(import_command, ["claude-code", str(folder)])
    assert result.exit_code == 0, result.output
    inputs = {s.id: s.tokens.input_tokens for s in _store(tmp_path).list_sessions()}
    assert inputs == {"a-good": 10, "b-huge": 2**40, "c-inf": 0, "d-good": 20}
