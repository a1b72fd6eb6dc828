"""ContextCompressor adapter: compress_file results become FILE_READ events that credit compression."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessionoptimizer_sdk import AdapterUnavailable, EventType, SessionOptimizer
from sessionoptimizer_sdk.adapters import ContextCompressorAdapter, compression_figures


def test_wrapper_returns_the_result_and_logs_the_compressed_read(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace, tmp_path: Path
) -> None:
    """The caller gets compress_file's own result; the session gets a FILE_READ with the spec's fields."""
    big = tmp_path / "large.json"
    big.write_text("x" * 40_000)
    compress = ContextCompressorAdapter(optimizer, teambrain.contextcompressor).compress_file
    with optimizer.session("ATLAS", "Read large file") as s:
        result = compress(big)
    assert result["content"] == f"<compressed {big}>"
    (read,) = [e for e in optimizer.get_events(s.id) if e.event_type is EventType.FILE_READ]
    assert dict(read.data) == {
        "file_path": str(big),
        "compressed": True,
        "original_tokens": 10_000,
        "compressed_tokens": 2_400,
        "savings": 76.0,
    }
    assert read.tokens_input == 2_400


def test_compressed_read_is_not_reported_as_a_large_uncompressed_read(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace
) -> None:
    """The analysis credits the wrapper's read as compressed, while the same read logged bare is flagged."""
    compress = ContextCompressorAdapter(optimizer, teambrain.contextcompressor)
    with optimizer.session("ATLAS", "compressed") as good:
        compress("/data/large.json")
    with optimizer.session("ATLAS", "uncompressed") as bad:
        bad.log(EventType.FILE_READ, data={"file_path": "/data/large.json"}, tokens_input=10_000)
    flagged = {i.type for i in optimizer.analyze(bad.id).issues}
    assert "large_uncompressed_read" in flagged
    assert "large_uncompressed_read" not in {i.type for i in optimizer.analyze(good.id).issues}


def test_missing_function_raises_adapter_unavailable(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace
) -> None:
    """A module without compress_file is refused at creation, naming the missing function."""
    with pytest.raises(AdapterUnavailable, match="compress_file"):
        ContextCompressorAdapter(optimizer, teambrain.tokentracker)


def test_tool_errors_propagate_unchanged_and_bad_results_are_logged(
    optimizer: SessionOptimizer, caplog: pytest.LogCaptureFixture
) -> None:
    """compress_file's own exception reaches its caller as the same object; an unreadable result only logs."""
    boom = OSError("disk gone")
    answers: list[object] = [boom, {"original": "many"}]

    def compress_file(path: str) -> object:
        answer = answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    adapter = ContextCompressorAdapter(optimizer, compress_file)
    with (
        caplog.at_level(logging.WARNING, logger="sessionoptimizer.adapters"),
        optimizer.session("ATLAS", "t") as s,
    ):
        with pytest.raises(OSError) as raised:
            adapter("a.py")
        assert raised.value is boom
        assert adapter("b.py") == {"original": "many"}
    assert adapter.failures == 1 and adapter.last_event is None
    assert "compress_file" in caplog.text
    assert optimizer.get_events(s.id) == []


@given(st.integers(0, 10**9), st.integers(0, 10**9), st.none() | st.floats(0, 100))
def test_figures_use_the_tools_savings_or_compute_them(
    original: int, compressed: int, savings: float | None
) -> None:
    """Savings come from the tool when given, else from the token counts; counts pass through unchanged."""
    result: dict[str, object] = {"original": original, "compressed": compressed}
    if savings is not None:
        result["savings_percent"] = savings
    got = compression_figures(result)
    assert got[:2] == (original, compressed)
    expected = savings if savings is not None else (100.0 * (1 - compressed / original) if original else 0.0)
    assert got[2] == round(expected, 2)
