"""A tool call's argument and result digests: equal values agree, and no host code runs while they are taken."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk import SessionOptimizer
from sessionoptimizer_sdk.recording._digest import MAX_NODES, call_digest, digest


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
_nested = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner)
        | st.tuples(inner, inner)
        | st.frozensets(st.integers(), max_size=3)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=30,
)


@given(_nested)
@settings(max_examples=200, deadline=None)
def test_a_value_of_builtins_digests_as_the_text_repr_prints(value: Any) -> None:
    """Nested builtins (within the walk's bound) digest as sha256 of ``repr`` (a text: of itself) and its length."""
    text = value if type(value) is str else repr(value)  # a text is digested as itself
    assert digest(value) == (_sha(text), len(text))


def test_plain_arguments_keep_the_digest_of_their_repr() -> None:
    """Positional and keyword scalars digest as ``repr(args)`` and ``repr((args, kwargs))`` always did."""
    assert call_digest(("a.py", 3), {}) == _sha(repr(("a.py", 3)))
    assert call_digest(("a.py",), {"limit": 10}) == _sha(repr((("a.py",), {"limit": 10})))
    assert call_digest(([1, 2],), {"q": {"x": 1}}) == _sha(repr((([1, 2],), {"q": {"x": 1}})))


class _Noisy:
    """An argument whose every hook counts its calls (and whose repr takes the caller's lock)."""

    calls = 0

    def __init__(self, query: str, lock: threading.Lock) -> None:
        self.query = query
        self._lock = lock

    def __repr__(self) -> str:
        _Noisy.calls += 1
        with self._lock:
            return f"Noisy({self.query})"

    def __eq__(self, other: object) -> bool:
        _Noisy.calls += 1
        return False

    __hash__ = object.__hash__

    def __getattr__(self, name: str) -> Any:
        _Noisy.calls += 1
        raise AttributeError(name)

    @property
    def derived(self) -> str:
        _Noisy.calls += 1
        return self.query


def test_a_host_object_is_read_by_its_fields_without_running_its_code(optimizer: SessionOptimizer) -> None:
    """A call holding the lock its argument's repr takes completes; no hook of the argument ran."""
    lock = threading.Lock()

    @optimizer.tool("search")
    def search(q: _Noisy) -> str:
        return "found"

    outcome: list[str] = []

    def call() -> None:
        with optimizer.session("ATLAS", "host objects", model="sonnet"), lock:
            outcome.append(search(_Noisy("needle", lock)))
            outcome.append(search(_Noisy("needle", lock)))
            outcome.append(search(_Noisy("other", lock)))

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(20)
    assert outcome == ["found"] * 3  # with repr() the first call waited forever on the held lock
    assert _Noisy.calls == 0
    sid = optimizer.store.list_sessions()[0].id
    first, second, third = (e.data["args_sha256"] for e in optimizer.get_events(sid))
    assert first == second != third  # equal fields agree (retry detection), other fields do not


@dataclass(frozen=True, slots=True)
class _Query:
    text: str
    limit: int


def test_slotted_dataclasses_digest_by_their_fields() -> None:
    """Two slotted dataclass instances with equal fields share a digest; a different field changes it."""
    assert digest(_Query("a", 1)) == digest(_Query("a", 1))
    assert digest(_Query("a", 1))[0] != digest(_Query("a", 2))[0]


def test_a_shared_sub_list_repeated_25_levels_deep_is_walked_in_bounded_steps() -> None:
    """A value whose repr would print 2**25 leaves is digested from at most MAX_NODES values."""
    value: list[Any] = [1]
    for _ in range(25):
        value = [value, value]
    _, size = digest(value)  # repr() of it ran for 7 s and grew the process by ~300 MB
    assert MAX_NODES <= size < 2**25  # extrapolated from what was visited, not the full text


def test_a_long_list_result_is_measured_close_to_its_printed_size(optimizer: SessionOptimizer) -> None:
    """A 100,000-record result's size is extrapolated within 10% of its repr's length (the token estimate's basis)."""
    big = [{"id": f"{i:06d}", "ok": i % 3 == 0} for i in range(100_000)]

    @optimizer.tool("ids")
    def ids() -> list[dict[str, object]]:
        return big

    with optimizer.session("ATLAS", "long result", model="sonnet") as s:
        assert ids() is big
    (event,) = optimizer.get_events(s.id)
    printed = len(repr(big))
    assert abs(event.data["result_chars"] - printed) <= printed // 10


def test_standard_library_values_digest_by_value_not_by_address() -> None:
    """Equal datetimes, Decimals, namedtuples, OrderedDicts and Paths share a digest; different ones do not."""
    import collections
    import decimal
    import pathlib
    from datetime import date, datetime, timedelta

    point = collections.namedtuple("point", "path line")
    pairs = [
        (datetime(2024, 5, 1, 12), datetime(2024, 5, 1, 12), datetime(2024, 5, 2, 12)),
        (date(2024, 5, 1), date(2024, 5, 1), date(2024, 5, 2)),
        (timedelta(seconds=3), timedelta(seconds=3), timedelta(seconds=4)),
        (decimal.Decimal("1.10"), decimal.Decimal("1.10"), decimal.Decimal("1.2")),
        (point("a.py", 1), point("a.py", 1), point("a.py", 2)),
        (collections.OrderedDict(q=1), collections.OrderedDict(q=1), collections.OrderedDict(q=2)),
    ]
    for first, equal, other in pairs:
        assert digest((first,))[0] == digest((equal,))[0] != digest((other,))[0], first
    used = pathlib.Path("/tmp/a.py")
    hash(used)  # caches a hash on the object: the digest must not see it
    assert digest((used,))[0] == digest((pathlib.Path("/tmp/a.py"),))[0] != digest((pathlib.Path("/b"),))[0]
    assert digest((_Query("budget", 1),))[0] != digest((_Query("budget", 2),))[0]


class _Model:
    """A pydantic-like object: its fields plus framework bookkeeping in dunder-named attributes."""

    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self.size = size
        self.__dict__["__fields_set__"] = {"name", "size"}
        self.__dict__["__private__"] = {"cache": list(range(50))}


def test_a_list_of_models_is_measured_near_its_printed_size() -> None:
    """300 model objects are measured within 25% of ``Model(name=..., size=...)`` text, bookkeeping left out."""
    models = [_Model(f"item-{i:04d}", i) for i in range(300)]
    printed = sum(len(f"_Model(name={m.name!r}, size={m.size!r})") + 2 for m in models)
    _, size = digest(models)
    assert abs(size - printed) <= printed // 4
