"""Credentials in session data never reach guidance: redacted by shape, before any text is cut short."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.guidance import build_guidance, redact_secrets
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.models import EventType
from sessionoptimizer_sdk.reporting.guidance import render_guidance
from tests.analysis._builders import Events, session

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            "psql postgresql://app:Sup3rS3cretPw@db.internal/prod -c 'select 1'",
            "psql postgresql://…@db.internal/prod -c 'select 1'",
        ),
        ("redis-cli -u redis://:Pw0rd@cache:6379", "redis-cli -u redis://…@cache:6379"),
        (
            "git clone https://ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789@github.com/o/r",
            "git clone https://…@github.com/o/r",
        ),
        ("curl -u admin:Hunter2Pass https://api.internal/v1/x", "curl -u admin:… https://api.internal/v1/x"),
        ("curl --user 'admin:Hunter2Pass' x", "curl --user 'admin:…' x"),
        (
            "mysql -u root --password Hunter2Pass -e 'drop table t'",
            "mysql -u root --password … -e 'drop table t'",
        ),
        ("mysql -u root --password=Hunter2Pass db", "mysql -u root --password=… db"),
        ("mysql -u root -pHunter2Pass db", "mysql -u root -p… db"),
        ("sshpass -p Hunter2Pass ssh host", "sshpass -p … ssh host"),
        ("vault login --client-secret=S3cr3tValue", "vault login --client-secret=…"),
        ("tool --api-key abc123def", "tool --api-key …"),
        ("curl -H 'Authorization: Basic YWRtaW46aHVudGVyMg==' x", "curl -H 'Authorization: …' x"),
        ('curl -H "Authorization: Bearer abc.def.ghi" x', 'curl -H "Authorization: …" x'),
        ("curl -H 'Cookie: a=1; session=s3cr3t' x", "curl -H 'Cookie: …' x"),
        ("http get x bearer abc.def", "http get x bearer …"),
        ("echo sk-ant-api03-AbCdEfGhIjKl0123", "echo …"),
        ("echo sk-proj-AbCdEfGhIjKl0123", "echo …"),
        ("echo ghp_AbCdEfGhIjKlMnOp0123", "echo …"),
        ("echo gho_AbCdEfGhIjKlMnOp0123", "echo …"),
        ("echo github_pat_11AbCdEfG0123456789_xyz", "echo …"),
        ("echo glpat-AbCdEfGhIjKlMnOpQrSt", "echo …"),
        ("echo xoxb-1234-5678-AbCdEf", "echo …"),
        ("echo xoxp-1234-5678-AbCdEf", "echo …"),
        ("aws s3 ls AKIAIOSFODNN7EXAMPLE", "aws s3 ls …"),
        ("aws s3 ls ASIAIOSFODNN7EXAMPLE", "aws s3 ls …"),
        ("maps AIzaSyA-1234567890abcdefghijklmnop", "maps …"),
        (f"curl x -d {JWT}", "curl x -d …"),
        ("DB_PASSWORD=s3cr3t ./deploy", "DB_PASSWORD=… ./deploy"),
        ("export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", "export AWS_SECRET_ACCESS_KEY=…"),
        ("GITHUB_TOKEN='abc def' gh pr list", "GITHUB_TOKEN=… gh pr list"),
        ("API_KEY=xyz MY_CREDENTIALS=c1 SECRET=s run", "API_KEY=… MY_CREDENTIALS=… SECRET=… run"),
        ("KEY=v1 make", "KEY=… make"),
        ("docker run -e PASSWORD=pw img", "docker run -e PASSWORD=… img"),
        ('echo \'{"password": "pw1"}\'', "echo '{\"password\": …}'"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", "…"),
        ("git show 3f2a9c1d5e7b4a6f8e0d2c4b6a8f0e1d3c5b7a9f", "git show …"),
    ],
)
def test_credential_shapes_are_redacted(command: str, expected: str) -> None:
    """Each credential shape is replaced by '…' while the flag, name or URL scheme around it stays readable."""
    assert redact_secrets(command) == expected


@pytest.mark.parametrize(
    "command",
    [
        "mkdir -p build/out",
        "ssh -p 2222 host",
        "docker run -p 8080:80 img",
        "git add -p",
        "python -m pytest -p no:cacheprovider tests",
        "mysql -u root -p mydb",  # -p then a word: mysql prompts; the word is the database
        "psql -U postgres -h db",
        "python train.py --max-tokens 100 --tokenizer gpt2",
        "git commit --author 'A <a@b.c>'",
        "ssh git@github.com",
        "ls src/sessionoptimizer_sdk/analysis/analyzers/high_error_rate.py",
        "echo monkey=1 turkey=2",
    ],
)
def test_ordinary_commands_are_left_alone(command: str) -> None:
    """Port, directory and plugin ``-p`` flags, user names, token counts and long paths are not secrets."""
    assert redact_secrets(command) == command


def _denied_report(commands: list[str]) -> OptimizationReport:
    what = ", ".join(f"Bash: {c}" for c in commands)
    rec = {
        "title": "Allow-list the denied commands",
        "detail": f"{len(commands)} tool call(s) were denied by permissions ({what}); these are not agent mistakes.",
    }
    return OptimizationReport.from_dict(
        {
            "session_id": "s",
            "agent": "ATLAS",
            "issues": [],
            "recommendations": [rec],
            "started_at": datetime(2026, 11, 1, tzinfo=UTC).isoformat(),
        }
    )


def test_the_testers_four_denied_commands_leave_no_secret_in_claude_md() -> None:
    """The four reported commands (URL password, curl -u, --password, GitLab token) reach CLAUDE.md redacted."""
    commands = [
        "psql postgresql://app:Sup3rS3cretPw@db.internal/prod -c 'sel",  # as stored: cut to 60 characters
        "curl -u admin:Hunter2Pass https://api.internal/v1/x",
        "mysql -u root --password Hunter2Pass -e 'drop table t'",
        "git push https://ci:glpat-AbCdEfGhIjKlMnOpQrSt@gitlab.com/a/",
    ]
    block = render_guidance(build_guidance("ATLAS", [_denied_report(commands)], days=1), "claude-md")
    for secret in ("Sup3rS3cretPw", "Hunter2Pass", "glpat", "AbCdEf"):
        assert secret not in block
    assert "`Bash: psql postgresql://…@db.internal/prod -c 'sel`" in block
    assert "`Bash: git push https://…@gitlab.com/a/`" in block


def test_denied_command_is_redacted_before_it_is_cut_to_60_characters() -> None:
    """A key that the 60-character cut would shorten past recognition is redacted in the report and guidance."""
    head = "cd /srv/app/releases/current && ANTHROPIC_BASE=x echo "
    key = "sk-ant-api03-Zq9Xw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0"
    cut = (head + key)[:60]
    assert redact_secrets(cut) == cut  # redacting after the cut would let the key's first characters through
    ev = Events()
    ev.call()
    denied = {"tool": "Bash", "command": head + key, "message": "Permission to use Bash has been denied"}
    ev.add(EventType.TOOL_CALL, data=denied, is_error=True)
    ev.call()
    report = analyze_events(session(), ev.items)
    [rec] = [r for r in report.recommendations if r.title == "Allow-list the denied commands"]
    assert f"(Bash: {head}…)" in rec.detail and "Zq9" not in rec.detail
    [item] = build_guidance("ATLAS", [report], days=1).items
    assert item.subject == f"Bash: {head}…"


def test_secret_looking_parts_of_file_paths_and_tool_names_are_redacted() -> None:
    """A token inside a re-read file's path or a retry's tool name does not reach the guidance either."""
    report = OptimizationReport.from_dict(
        {
            "session_id": "s",
            "agent": "ATLAS",
            "issues": [
                {
                    "type": "repeated_file_read",
                    "severity": "LOW",
                    "description": "d",
                    "waste_tokens": 10,
                    "details": {"file_path": "/p/cfg/token=glpat-AbCdEfGhIjKlMnOpQrSt/a.py"},
                },
                {
                    "type": "retry_loop",
                    "severity": "LOW",
                    "description": "d",
                    "waste_tokens": 5,
                    "details": {"tool": "mcp__x__call ghp_AbCdEfGhIjKlMnOp0123", "attempts": 3},
                },
            ],
            "started_at": datetime(2026, 11, 1, tzinfo=UTC).isoformat(),
        }
    )
    subjects = [i.subject for i in build_guidance("ATLAS", [report], days=1, root="/p").items]
    assert subjects == ["cfg/token=…/a.py", "mcp__x__call …"]
