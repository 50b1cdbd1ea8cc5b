"""Helpers for library authors: ``to_each``, ``via`` and ``is_array`` (``like``: ``_like``).

A library that accepts "any array" converts its inputs once, computes in one
framework, and hands results back in the caller's framework and device.  All
three helpers walk nested containers the same way (see ``to_each``).

What counts as an array (``is_array``): an object owned by a *registered*
adapter (``interop.registry()``: numpy, torch, jax, cupy, array_api_strict and
plugins), NumPy scalars included.  Python numbers, strings, bytes, ``None``,
lists, tuples and objects that merely speak a protocol (``__array__``, the
buffer protocol, a bare ``__dlpack__``) are not arrays here: containers are
walked, everything else is left untouched.
"""

from __future__ import annotations

import contextlib
import copy as _copy
import dataclasses
import enum
import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from ._acquire import check_copy
from ._adapter import Adapter
from ._convert import to
from ._devices import Device
from ._errors import InteropError, NotAnArrayError, RouteFallback
from ._grad import GradBridge
from ._registry import adapter_for, registry, resolve_target
from ._remember import ROUTES, CoercedRoute

__all__ = ["is_array", "to_each", "via"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

#: Types that are never arrays and never containers (exact types: np.float64 subclasses float).
_MISSING = object()
_PLAIN = frozenset({str, bytes, bytearray, memoryview, int, float, complex, bool, type(None)})
#: ``_Walker._items``'s loop in C: ``interop.to.run_items`` where the extension is built.
_run_items: Callable[..., list[Any]] | None = getattr(to, "run_items", None)


class _Kind(enum.Enum):
    ARRAY = 1
    LIST = 2
    TUPLE = 3
    NAMEDTUPLE = 4
    DICT = 5
    DATACLASS = 6
    OTHER = 7


def is_array(x: object, /) -> bool:
    """True when ``x`` is an array of a registered framework (NumPy scalars included).

    Python numbers, lists, tuples, strings, bytes and ``None`` are not arrays.
    """
    if type(x) in _PLAIN:
        return False
    try:
        return adapter_for(x).name in registry()
    except NotAnArrayError:
        return False


def _classify(x: object) -> _Kind:
    tp = type(x)
    if tp in _PLAIN:
        return _Kind.OTHER
    if issubclass(tp, dict):
        return _Kind.DICT
    if issubclass(tp, list):
        return _Kind.LIST
    if issubclass(tp, tuple):
        return _Kind.NAMEDTUPLE if hasattr(tp, "_fields") else _Kind.TUPLE
    if is_array(x):
        return _Kind.ARRAY
    if dataclasses.is_dataclass(tp):
        return _Kind.DATACLASS
    return _Kind.OTHER


class _Walker:
    """One pass over one tree towards one target.

    Per call it caches: the kind of each leaf *type* (array, container, other), so
    detection runs once per type; the target device, parsed and checked once.  A leaf
    already on that device is converted with ``device=None``, which is the same
    conversion but lets ``interop.to`` use its per-(target, type) native fast route
    instead of planning the leaf again.
    """

    __slots__ = ("_concrete", "_kinds", "_open", "copy", "device", "first", "stream", "target")

    def __init__(self, target: Any, device: Any, copy: bool | None, stream: Any) -> None:
        copy = check_copy(copy)
        self.target, self.device, self.copy, self.stream = target, device, copy, stream
        self._open: set[int] = set()  # ids of the containers on the current path
        self.first: Any = None  # the first array met, in walk order (for ``via``)
        self._kinds: dict[type, _Kind] = {}
        self._concrete: Device | None = None

    def walk(self, node: Any) -> Any:
        tp = type(node)
        kind = self._kinds.get(tp)
        if kind is None:
            kind = self._kinds[tp] = _classify(node)
        if kind is _Kind.ARRAY:
            return self.leaf(node)
        if kind is _Kind.OTHER:
            return node
        return self._container(kind, node)

    def leaf(self, x: Any) -> Any:
        if self.first is None:
            self.first = x
        device = self.device
        if device is not None and adapter_for(x).device_of(x) == self._target_device():
            device = None  # same conversion, but eligible for the fast route
        return to(x, self.target, device=device, copy=self.copy, stream=self.stream)

    def _target_device(self) -> Device:
        if self._concrete is None:
            dst: Adapter = resolve_target(self.target)
            self._concrete = dst.check_device(Device.parse(self.device))
        return self._concrete

    def _container(self, kind: _Kind, node: Any) -> Any:
        if id(node) in self._open:
            raise InteropError(
                f"This {type(node).__name__} contains itself, so it has no finite tree of arrays "
                "to convert. Break the cycle first."
            )
        self._open.add(id(node))
        try:
            return self._walk_container(kind, node)
        finally:
            self._open.discard(id(node))

    def _walk_container(self, kind: _Kind, node: Any) -> Any:
        key: Any = None
        try:
            if kind is _Kind.DICT:
                return self._dict(node)
            if kind is _Kind.DATACLASS:
                return _rebuild_dataclass(node, self.walk)
            items = self._items(node)
            return _rebuild_sequence(kind, node, items)
        except Exception as exc:
            _note_path(exc, key)
            raise

    def _items(self, node: Any) -> list[Any]:
        """The converted items of a list or tuple.

        An item whose type has a remembered route (``interop.to``'s table for this target
        and ``copy``) runs it directly: the same callable ``to`` would run, without the
        per-leaf dispatch.  Everything else, and any value the route hands back, walks.
        """
        table = (ROUTES[self.copy].get(self.target) if self.device is None and
                 self.stream is None else None) or {}
        if _run_items is not None:  # the same loop in C (interop._speedups)
            found = self._found if self.first is None else None
            return _run_items(node, table, CoercedRoute, self.walk, _note_path, found)
        items = []
        for index, value in enumerate(node):
            try:
                items.append(self._item(table, value))
            except Exception as exc:
                _note_path(exc, index)
                raise
        return items

    def _item(self, table: dict[type, Any], value: Any) -> Any:
        entry = table.get(type(value), _MISSING)
        if entry is _MISSING or type(entry) is CoercedRoute:
            return self.walk(value)  # lists walk as containers, numbers stay as they are
        self._found(value)
        if entry is None:
            return value
        try:
            return entry(value)
        except RouteFallback:
            return self.walk(value)

    def _found(self, value: Any) -> None:
        """``value`` is an array met in walk order (``via`` answers in the first one's home)."""
        if self.first is None:
            self.first = value

    def _dict(self, node: dict[Any, Any]) -> dict[Any, Any]:
        out = {} if type(node) is dict else _copy.copy(node)
        for key, value in node.items():
            try:
                out[key] = self.walk(value)
            except Exception as exc:
                _note_path(exc, key)
                raise
        return out


class _InwardWalker(_Walker):
    """``via``'s walk over the arguments: a lazy (Dask) array cannot be one of them."""

    __slots__ = ()

    def leaf(self, x: Any) -> Any:
        if getattr(adapter_for(x), "lazy_to", None) is not None:
            raise InteropError(
                f"via({self.target!r}) got a Dask array argument. The decorated function takes "
                "whole arrays, and converting a Dask array gives a lazy Dask array, not a "
                f"{self.target} array; applying the function chunk by chunk is only right for "
                "blockwise functions. Use interop.to(x, target).map_blocks(func, meta=...) for "
                "a blockwise function, or pass interop.to_numpy(x) (it computes) to call it on "
                "the whole array.")
        return super().leaf(x)


def _rebuild_sequence(kind: _Kind, node: Any, items: list[Any]) -> Any:
    tp = type(node)
    if kind is _Kind.NAMEDTUPLE:
        return tp._make(items)
    if tp is list or tp is tuple:
        return tp(items)
    if kind is _Kind.LIST:
        out = _copy.copy(node)
        out[:] = items
        return out
    return tp(items)


_UNSET = object()


def _rebuild_dataclass(node: Any, walk: Callable[[Any], Any]) -> Any:
    """``dataclasses.replace`` with converted fields; ``init=False`` fields are set after."""
    passed: dict[str, Any] = {}
    late: dict[str, Any] = {}
    for field in dataclasses.fields(node):
        value = getattr(node, field.name, _UNSET)
        if value is _UNSET:
            continue
        (passed if field.init else late)[field.name] = walk(value)
    out = dataclasses.replace(node, **passed)
    for name, value in late.items():
        object.__setattr__(out, name, value)  # works for frozen dataclasses too
    return out


def _note_path(exc: Exception, key: Any) -> None:
    """Record where in the tree a conversion failed; the outermost call writes the note."""
    if key is None:
        return
    path = getattr(exc, "_interop_tree_path", None)
    with contextlib.suppress(AttributeError):  # an exception with __slots__: no path
        exc._interop_tree_path = [key, *(path or [])]  # type: ignore[attr-defined]


def _finish_note(exc: Exception) -> None:
    path = getattr(exc, "_interop_tree_path", None)
    if path:
        exc.add_note("while converting the leaf at " + "".join(f"[{k!r}]" for k in path))


def to_each(tree: Any, target: Any, /, *, device: Any = None, copy: bool | None = None,
            stream: Any = None) -> Any:
    """Convert every array inside ``tree`` with ``interop.to(leaf, target, ...)``.

    Lists, tuples (named tuples keep their type), dicts (their type and key order
    kept) and dataclass instances (rebuilt with ``dataclasses.replace``) are walked;
    every other non-array value (str, bytes, None, Python numbers, other objects) is
    returned as is.  Containers are always new objects; sets are not walked.

    Batching: the tree is walked once.  The kind of each leaf type is detected once
    per call and the ``device`` is parsed and checked once; leaves already on the
    wanted device go through ``interop.to``'s per-(target, type) native fast route,
    so a tree of a thousand same-type tensors is planned at most once.  A failing
    leaf raises the usual interop error with a note giving its path in the tree.
    The items of a list or tuple whose type has a remembered route run it directly
    (in C where the extension is built), without a Python call per leaf.
    """
    tp = type(tree)
    if (tp is list or tp is tuple) and device is None and stream is None and _run_items:
        return _each_in_sequence(_run_items, tree, target, check_copy(copy))
    return _walk(_Walker(target, device, copy, stream), tree)


def _each_in_sequence(run_items: Callable[..., list[Any]],
                      tree: list[Any] | tuple[Any, ...], target: Any, copy: bool | None) -> Any:
    """``to_each`` of a plain list or tuple: what the walker does, with no walker to build.

    The items run in the C loop (``_Walker._items``); a walker is made only for the items
    that walk, in the state the whole walk would have it there: ``tree`` on its path (so a
    list holding itself is still caught) and its type classified.
    """
    walker: _Walker | None = None

    def walk(value: Any) -> Any:
        nonlocal walker
        if walker is None:
            walker = _Walker(target, None, copy, None)
            walker._kinds[type(tree)] = _classify(tree)
            walker._open.add(id(tree))
        return walker.walk(value)

    try:
        table = ROUTES[copy].get(target) or {}
        items = run_items(tree, table, CoercedRoute, walk, _note_path, None)
    except Exception as exc:
        _finish_note(exc)
        raise
    return items if type(tree) is list else tuple(items)


def _walk(walker: _Walker, tree: Any) -> Any:
    try:
        return walker.walk(tree)
    except Exception as exc:
        _finish_note(exc)
        raise


def _note_plain_sequences(exc: Exception, args: tuple[Any, ...], kwargs: dict[str, Any],
                          target: Any) -> None:
    """The function failed on an argument ``via`` left alone: say which, and why."""
    named = [(f"argument {i}", v) for i, v in enumerate(args)] + list(kwargs.items())
    plain = [name for name, value in named if type(value) in (list, tuple)]
    if plain and hasattr(exc, "add_note"):
        exc.add_note(
            f"interop.via({target!r}) converts arrays only; {', '.join(plain)} "
            f"{'is a' if len(plain) == 1 else 'are'} Python list/tuple, passed through as is. "
            f"Pass an array instead (e.g. interop.to(x, {target!r})) if the function needs one.")


def via(target: Any, *, device: Any = None, copy: bool | None = None,
        result_shape: Any = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function written for one framework so it accepts any array.

    On each call every array argument (positional, keyword, inside lists, tuples,
    dicts and dataclasses) is converted with ``interop.to(arg, target, device=device,
    copy=copy)``; the function runs; every array in its result is converted back to
    the framework and device of the *first* array argument.  Non-array arguments
    pass through; with no array argument the result is returned as is.

    In-place mutation: when an argument was shared zero-copy (e.g. a CPU torch tensor
    or a writable NumPy array, ``via("numpy")``), the function sees the caller's
    memory and writes reach the caller.  When a copy was needed (another device, a
    dtype or layout the target cannot share, a Python list) the function writes to a
    private copy and the caller sees nothing.  A read-only share (a JAX array as
    NumPy, a read-only NumPy array) makes in-place writes raise; ``copy=True`` gives
    the function private, writable copies.  ``interop.explain(arg, target)`` says
    which case applies.

    Gradients flow through ``via("jax")`` called with torch tensors that require grad
    (a ``torch.autograd.Function`` around ``jax.vjp``) and through ``via("torch")`` called
    with JAX tracers, inside ``jax.grad``, ``jax.jit`` or ``jax.vmap`` (a ``jax.custom_vjp``
    around ``jax.pure_callback``; its output shapes come from one evaluation per input
    signature, or from ``result_shape``, a tree of ``jax.ShapeDtypeStruct``, read only
    then).  Other targets (NumPy, array-api-strict) detach, as ``to_numpy`` does.  See
    docs/gradients.md.
    """
    check_copy(copy)  # a wrong copy= is the decorator's mistake: say so at once

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        grads = GradBridge(func, target, device, copy, result_shape)

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if grads.applies(args, kwargs):  # gradients must cross: see docs/gradients.md
                return grads(args, kwargs)  # type: ignore[no-any-return]
            inward = _InwardWalker(target, device, copy, None)
            new_args, new_kwargs = _walk(inward, args), _walk(inward, kwargs)
            try:
                result = func(*new_args, **new_kwargs)
            except (AttributeError, TypeError) as exc:
                _note_plain_sequences(exc, args, kwargs, target)
                raise
            if inward.first is None:
                return result
            home = adapter_for(inward.first)
            return to_each(result, home.name, device=home.device_of(inward.first))  # type: ignore[no-any-return]

        return wrapper

    return decorate
