"""CI guard: a short hot-path benchmark run must stay within 2x of the ratios documented in docs/performance.md."""

from __future__ import annotations

import json

import pytest

from tests.benchmarks._bench import BENCH, TOLERANCE, load_bench


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    """Ratios of a short interleaved run (sync, async and generator tools; same baselines as the docs)."""
    hot = load_bench("bench_hotpath")
    common = load_bench("_common")
    with pytest.MonkeyPatch.context() as mp:  # the benchmark's environment must not leak into other tests
        mp.setenv("SESSIONOPTIMIZER_HOME", str(tmp_path_factory.mktemp("bench-home")))
        mp.setenv("SESSIONOPTIMIZER_AUTO_ANALYZE", "0")
        mp.setenv("SESSIONOPTIMIZER_SIGTERM", "0")
        cases, cleanup = hot.build(kinds=("sync", "async", "generator"))
        try:
            common.measure(cases, 1500, 5)
        finally:
            cleanup()
    return {row["case"]: row["ratio"] for row in common.summarize(cases) if "ratio" in row}


DOCUMENTED = {
    k: v for k, v in json.loads((BENCH / "documented.json").read_text()).items() if not k.startswith("_")
}


@pytest.mark.parametrize("case", sorted(DOCUMENTED))
def test_hot_path_ratio_within_twice_the_documented_figure(measured: dict[str, float], case: str) -> None:
    """The per-call cost ratio of this path has not regressed more than 2x from the documented benchmark."""
    assert measured[case] <= DOCUMENTED[case] * TOLERANCE, (
        f"{case}: {measured[case]:.2f}x vs documented {DOCUMENTED[case]:.2f}x (limit {TOLERANCE}x that)"
    )
