"""`doctor` never prints credentials carried by OTLP endpoint URLs (password, query values, fragment)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import Result

ENDPOINT = "https://user:SECRETCCC@collector.example:4318/?token=SECRETDDD"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_doctor_hides_endpoint_password_and_query_values(
    fmt: str, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The endpoint's password and ``token`` value are shown as ``***``; user, host and port stay readable."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", ENDPOINT)
    monkeypatch.setenv(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://k@h.example/v1/traces?a=SECRETEEE&SECRETFFF#x"
    )
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer SECRETGGG")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "agent-42")
    result = run("doctor", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert "SECRET" not in result.stdout + result.stderr
    if fmt == "json":
        otlp = json.loads(result.stdout)["otlp"]
        assert otlp == {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "https://user:***@collector.example:4318/?token=***",
            "OTEL_EXPORTER_OTLP_HEADERS": "<set, hidden>",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://k@h.example/v1/traces?a=***&***#***",
            "OTEL_SERVICE_NAME": "agent-42",
        }
    else:
        assert "user:***@collector.example:4318/?token=***" in result.stdout
