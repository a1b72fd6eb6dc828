"""Analyzer plugins: what validate_analyzer accepts (class, factory, instance) and the reason it gives otherwise."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from sessionoptimizer_sdk.analysis import registry
from sessionoptimizer_sdk.analysis.context import AnalysisContext


class _Good:
    name = "good"
    order = 5

    def analyze(self, ctx: AnalysisContext) -> Iterable[Any]:
        return []


def _named(name: object, order: object) -> Any:
    return type("Plugin", (), {"name": name, "order": order, "analyze": lambda self, ctx: []})()


def test_class_factory_and_instance_are_accepted() -> None:
    """An analyzer class is instantiated, a factory is called, an instance is used as is."""
    instance = _Good()
    assert registry.validate_analyzer(instance) is instance
    assert isinstance(registry.validate_analyzer(_Good), _Good)
    made = registry.validate_analyzer(lambda: instance)
    assert made is instance


def test_what_is_not_an_analyzer_says_what_it_needs() -> None:
    """An object without name/order/analyze, or a factory returning one, is refused naming the requirements."""
    for bad in (object(), lambda: object(), 42):
        with pytest.raises(
            TypeError, match=r"is not an analyzer \(needs str 'name', int 'order' and 'analyze\(ctx\)'\)"
        ):
            registry.validate_analyzer(bad)


@pytest.mark.parametrize("name", ["", 7])
def test_an_analyzer_needs_a_name(name: object) -> None:
    """An empty or non-string name is refused with 'has no name'."""
    with pytest.raises(TypeError, match=r"has no name$"):
        registry.validate_analyzer(_named(name, 1))


@pytest.mark.parametrize("order", [True, 1.5, "1"])
def test_an_analyzer_needs_an_integer_order(order: object) -> None:
    """A bool, float or string order is refused naming the analyzer."""
    with pytest.raises(TypeError, match=r"^analyzer 'x' has a non-integer order$"):
        registry.validate_analyzer(_named("x", order))


def test_reset_makes_the_next_load_read_the_plugins_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """After reset_analyzers the loaded set is read again (a stale one is not kept)."""
    monkeypatch.setattr(registry, "_loaded", (_Good(),))
    assert [a.name for a in registry.load_analyzers()] == ["good"]
    registry.reset_analyzers()
    names = [a.name for a in registry.load_analyzers()]
    assert "good" not in names and "cache_miss" in names
