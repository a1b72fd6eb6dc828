"""The built-in detectors, one per module; they register through the ``sessionoptimizer.analyzers`` entry points."""

from __future__ import annotations

from .cache_miss import CacheMissAnalyzer
from .high_error_rate import HighErrorRateAnalyzer
from .high_waste import HighWasteAnalyzer
from .large_uncompressed_read import LargeUncompressedReadAnalyzer
from .long_session import LongSessionAnalyzer
from .repeated_file_read import RepeatedFileReadAnalyzer
from .retry_loop import RetryLoopAnalyzer
from .thinking_overhead import ThinkingOverheadAnalyzer
from .token_spike import TokenSpikeAnalyzer

__all__ = [
    "BUILTIN_ANALYZERS",
    "CacheMissAnalyzer",
    "HighErrorRateAnalyzer",
    "HighWasteAnalyzer",
    "LargeUncompressedReadAnalyzer",
    "LongSessionAnalyzer",
    "RepeatedFileReadAnalyzer",
    "RetryLoopAnalyzer",
    "ThinkingOverheadAnalyzer",
    "TokenSpikeAnalyzer",
]

#: Built-in analyzer classes by finding type (the entry points name the same classes).
BUILTIN_ANALYZERS: dict[str, type] = {
    cls.name: cls
    for cls in (
        RetryLoopAnalyzer,
        RepeatedFileReadAnalyzer,
        LargeUncompressedReadAnalyzer,
        CacheMissAnalyzer,
        HighErrorRateAnalyzer,
        ThinkingOverheadAnalyzer,
        TokenSpikeAnalyzer,
        LongSessionAnalyzer,
        HighWasteAnalyzer,
    )
}
