"""Digests of a tool call's arguments and result, built without running any of the host's code, in bounded time.

The digest feeds retry detection (the same call twice has the same digest) and the result's size feeds its
token estimate. ``repr()`` of a host object runs the host's code: it can be slow (a shared sub-list repeated 25
levels deep printed for 7 s), allocate without bound, raise, or take a lock the caller holds and deadlock. So
only values whose ``repr`` is the interpreter's own are printed: exact ``str``, ``int``, ``float``, ``bool``,
``None``, ``bytes``, and ``tuple``/``list``/``dict``/``set``/``frozenset`` of them. Other objects are read field by
field: their instance ``__dict__`` and ``__slots__``, read through the interpreter's own descriptors, never
through the host's ``__getattr__``, properties or ``__repr__``. An object with neither is named by type and
identity. At most :data:`MAX_NODES` values are visited. Past that, the size is extrapolated from the lengths
of the containers already seen.
"""

from __future__ import annotations

from types import MemberDescriptorType
from typing import Any

__all__ = ["MAX_NODES", "call_digest", "digest"]

#: Values visited per digest: bounds the cost of one call's digest whatever the value (~0.5 ms at most).
MAX_NODES = 2_000
_HEAD = 1 << 20  # hash at most the first MiB (and the last 64 KiB) of a long text
_TAIL = 1 << 16
_INT_BITS = 10_000  # a larger int's decimal text is refused by the interpreter (and slow): named by size
#: Exact types whose ``repr`` is the interpreter's own code, for one flat level (the fast path).
_FLAT = frozenset({str, int, float, bool, type(None)})
_SEQUENCES: dict[type, tuple[str, str]] = {
    tuple: ("(", ")"),
    list: ("[", "]"),
    set: ("{", "}"),
    frozenset: ("frozenset({", "})"),
}


class _Emit:
    """Text to write when the walk reaches it (a closing bracket, a separator)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


_COMMA, _COLON = _Emit(", "), _Emit(": ")


class _Fields:
    """An object's fields, visited as ``name=value`` pairs."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs


#: Modules whose value types print themselves with library code (their ``repr`` runs no host code).
_LIBRARY_VALUES = frozenset(
    {"datetime", "decimal", "fractions", "uuid", "pathlib", "ipaddress", "enum", "zoneinfo", "re"}
)
_STEP = object()  # one item of the top level is finished: marks the text it took, for extrapolation


def digest(value: object) -> tuple[str, int]:
    """(16 hex digits of a sha256, size in characters) of ``value``'s text; equal values give equal digests."""
    if isinstance(value, bytes | bytearray | memoryview):
        size = len(value)
        return _sha256(bytes(value[:_HEAD]) if size > _HEAD else bytes(value)), size
    text, size = _text(value)
    return _text_sha(text, size), size


def call_digest(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The digest of a call's arguments: of ``args``, or of ``(args, kwargs)`` when keywords were passed."""
    if not kwargs:
        if all(map(_FLAT.__contains__, map(type, args))):  # the usual call: one repr, no walk
            try:
                text = repr(args)
            except ValueError:  # an int too long for its decimal text
                return digest(args)[0]
            return _text_sha(text, len(text))
        return digest(args)[0]
    flat_args, flat_kwargs = _flat_repr(args, tuple), _flat_repr(kwargs, dict)
    if flat_args is None or flat_kwargs is None:
        return digest((args, kwargs))[0]
    text = f"({flat_args}, {flat_kwargs})"  # the text repr((args, kwargs)) has, without a walk
    return _text_sha(text, len(text))


def _text_sha(text: str, size: int) -> str:
    if len(text) > _HEAD:
        text = f"{text[:_HEAD]}{text[-_TAIL:]}{size}"
    return _sha256(text.encode("utf-8", "replace"))


def _sha256(raw: bytes) -> str:
    import hashlib  # cached after the first call; kept out of the SDK's import time

    return hashlib.sha256(raw).hexdigest()[:16]


def _text(value: object) -> tuple[str, int]:
    kind = type(value)
    if kind is str:
        text: str = value  # type: ignore[assignment]
        return text, len(text)
    flat = _flat_repr(value, kind)
    if flat is not None:
        return flat, len(flat)
    return _walk(value)


def _flat_repr(value: Any, kind: type) -> str | None:
    """``repr(value)`` for a scalar, or one level of scalars (the usual arguments); None when it may run host code."""
    if kind in _FLAT:
        flat = True
    elif kind is tuple or kind is list:
        flat = all(map(_FLAT.__contains__, map(type, value)))
    elif kind is dict:
        flat = all(map(_FLAT.__contains__, map(type, value))) and all(
            map(_FLAT.__contains__, map(type, value.values()))
        )
    else:
        return None
    if not flat:
        return None
    try:
        return repr(value)
    except ValueError:  # an int too long for its decimal text: the walk names it by size
        return None


def _walk(value: object) -> tuple[str, int]:
    """Text of a nested value visiting at most ``MAX_NODES`` values; the size extrapolated past them.

    Past the bound, the size is the text of the top level's finished items scaled to all of its items (a long
    list of similar records, the usual large result); failing that, scaled by the values seen over visited.
    """
    parts: list[str] = []
    stack: list[Any] = [value]
    push = stack.append
    visited, total, chars = 0, 1, 0
    top_items, top_done, top_chars = 0, 0, 0
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is _Emit:
            parts.append(item.text)
            chars += len(item.text)
            continue
        if item is _STEP:
            top_done, top_chars = top_done + 1, chars
            continue
        if visited >= MAX_NODES:
            break
        top = visited == 0
        visited += 1
        text: str | None = None
        if kind in _FLAT:
            text = _scalar(item, kind)
        elif kind in _SEQUENCES:
            items = list(item) if kind is set or kind is frozenset else item
            if not items and kind is not tuple and kind is not list:
                text = f"{kind.__name__}()"  # set(), frozenset(): as repr prints them
            else:
                opening, closing = _SEQUENCES[kind]
                text = opening
                push(_Emit(",)" if kind is tuple and len(items) == 1 else closing))
                total += len(items)
                top_items = len(items) if top else top_items
                for i in range(min(len(items), MAX_NODES) - 1, -1, -1):
                    if top:
                        push(_STEP)
                    push(items[i])
                    if i:
                        push(_COMMA)
        elif kind is dict:
            text = "{"
            push(_Emit("}"))
            pairs = list(item.items())[:MAX_NODES]
            total += 2 * len(item)
            top_items = len(item) if top else top_items
            for i in range(len(pairs) - 1, -1, -1):
                key, val = pairs[i]
                if top:
                    push(_STEP)
                push(val)
                push(_COLON)
                push(key)
                if i:
                    push(_COMMA)
        elif kind is bytes or kind is bytearray:
            text = repr(bytes(item[:_HEAD]))
        else:
            text, inner = _describe(item, kind)
            if type(inner) is _Fields:  # name=value, as a dataclass's or pydantic model's repr prints them
                push(_Emit(")"))
                pairs = inner.pairs[:MAX_NODES]
                total += len(pairs)
                for i in range(len(pairs) - 1, -1, -1):
                    push(pairs[i][1])
                    push(_Emit(f"{pairs[i][0]}="))
                    if i:
                        push(_COMMA)
            elif inner is not None:  # the object's content, as a builtin value visited in its place
                push(_Emit(")"))
                push(inner)
                total += 1
        parts.append(text)
        chars += len(text)
    text = "".join(parts)
    if not stack or visited == 0:
        return text, chars
    if top_done:
        return text, top_chars * top_items // top_done
    return text, chars * total // visited


def _scalar(item: Any, kind: type) -> str:
    if kind is int and item.bit_length() > _INT_BITS:
        return f"<int of {item.bit_length()} bits>"
    if kind is str and len(item) > _HEAD:
        return f"{item[:_HEAD]!r}...{len(item)}"
    return repr(item)


def _describe(item: Any, kind: type) -> tuple[str, object | None]:
    """(text, content to visit after it) of a value that is not an exact builtin, without running host code.

    Subclasses of builtins (a namedtuple, ``OrderedDict``, an ``IntEnum`` member) are read through the builtin's
    own methods; standard-library values whose ``repr`` is the library's (``datetime``, ``Decimal``, ``UUID``,
    ``Path``, ``Enum`` members, compiled patterns) are printed; other objects are read field by field. An object
    with none of these (a lock, a socket, a client) is named by its identity: the same one is the same argument.
    """
    name = kind.__qualname__
    if issubclass(kind, dict):  # by type: isinstance could read a host __class__
        return f"{name}(", dict(dict.items(item))
    if issubclass(kind, tuple):
        return f"{name}(", tuple(tuple.__iter__(item))
    if issubclass(kind, list):
        return f"{name}(", list(list.__iter__(item))
    if issubclass(kind, frozenset):
        return f"{name}(", list(frozenset.__iter__(item))
    if issubclass(kind, set):
        return f"{name}(", list(set.__iter__(item))
    if issubclass(kind, str):
        return f"{name}({_scalar(str.__str__(item), str)})", None
    if issubclass(kind, int):
        return f"{name}({_scalar(int.__index__(item), int)})", None
    if issubclass(kind, float):
        return f"{name}({float.__repr__(item)})", None
    if _library_repr(kind):
        return repr(item), None
    fields = _fields(item, kind)
    if fields is not None:
        return f"{name}(", _Fields(list(fields.items()))
    return f"<{name} at {id(item):#x}>", None  # identity: the same lock or client is the same argument


def _library_repr(kind: type) -> bool:
    """True when the ``__repr__`` ``kind`` uses is defined by a standard-library value module (not by the host)."""
    for cls in kind.__mro__:
        if "__repr__" in cls.__dict__:
            return cls.__module__ in _LIBRARY_VALUES
    return False


def _fields(item: object, kind: type) -> dict[str, Any] | None:
    """An object's instance ``__dict__`` and slot values, read without running the host's code; None if none.

    Names in ``__dunder__`` form are left out: they are a framework's bookkeeping (pydantic's
    ``__pydantic_fields_set__``) or caches, not what the call passed or returned.
    """
    fields: dict[str, Any] = {}
    try:
        own = object.__getattribute__(item, "__dict__")
    except (AttributeError, TypeError):
        own = None
    if type(own) is dict:
        fields.update((k, v) for k, v in own.items() if not _dunder(k))
    for cls in kind.__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            descriptor = cls.__dict__.get(name)
            if type(descriptor) is MemberDescriptorType and not _dunder(name):
                try:
                    fields[name] = descriptor.__get__(item, cls)
                except AttributeError:  # an unset slot
                    continue
    return fields or None


def _dunder(name: object) -> bool:
    return isinstance(name, str) and name.startswith("__") and name.endswith("__")
