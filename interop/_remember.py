"""Remember: the route a conversion ran, kept for later values of the same type.

The tables are read by ``interop.to`` before anything else (by the C dispatcher
when it is built, by ``_dispatch.to`` otherwise)::

    ROUTES[copy][target][type]                -> entry      (device=None)
    DEVICE_ROUTES[copy][device][target][type] -> entry

An entry is ``None`` (the input itself is the answer, as for any value of a same-
framework type), a *native* entry (one framework call that performs the route for
every value it accepts and raises for any other: ``Adapter.native``), or a *keyed*
entry: the source adapter's ``route_key`` and, per key seen so far, the route that
the planner chose for it.  Either way the callable stored is the one the first
conversion executed, so a remembered route and the planner cannot disagree.

Tables are bounded (a program that creates classes in a loop does not grow them
without end) and are emptied whenever the registry changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from ._accel import speedups
from ._errors import RouteFallback

__all__ = ["DEVICE_ROUTES", "ROUTES", "CoercedRoute", "KeyedRoute", "NativeRoute", "clear",
           "native_entry", "remember", "remember_coerced"]

#: copy -> target -> type -> entry
ROUTES: dict[Any, dict[Any, dict[type, Any]]] = {None: {}, True: {}, False: {}}
#: copy -> device -> target -> type -> entry
DEVICE_ROUTES: dict[Any, dict[Any, dict[Any, dict[type, Any]]]] = {
    None: {}, True: {}, False: {}}
#: Most types remembered per (copy, target, device); the table is emptied beyond it.
MAX_TYPES = 256
#: Most distinct route keys one keyed entry remembers.
MAX_KEYS = 64
#: Called after every change to the tables: the C dispatcher keeps its last lookup until then.
_changed: Callable[[], None] = getattr(speedups, "tables_changed", None) or (lambda: None)


class _TablesLock:
    """The tables' lock: whoever leaves it may have changed them, so it calls ``_changed``."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        try:
            _changed()
        finally:
            self._lock.release()


_lock = _TablesLock()


class PyNativeRoute:
    """A native call as a remembered route; the values it refuses go to ``keyed``, if any.

    Any exception from the native call means "not mine": the keyed routes remembered for
    the values it refused are tried, then the planner decides.
    """

    __slots__ = ("func", "keyed")

    def __init__(self, func: Callable[[Any], Any]) -> None:
        self.func = func
        self.keyed: Any = None

    def __call__(self, x: Any) -> Any:
        try:
            return self.func(x)
        except Exception:  # noqa: BLE001 - the native call refuses: the planner decides
            if self.keyed is None:
                raise RouteFallback from None
        return self.keyed(x)


class PyKeyedRoute:
    """``route_key(x)`` picks the remembered route; an unseen key goes to the planner."""

    __slots__ = ("key", "runs")

    def __init__(self, key: Callable[[Any], Hashable], runs: dict[Hashable, Any]) -> None:
        self.key, self.runs = key, runs

    def __call__(self, x: Any) -> Any:
        try:
            run = self.runs[self.key(x)]
        except (KeyError, TypeError):
            raise RouteFallback from None
        return run(x)


class CoercedRoute:
    """An input the owner coerces first (a NumPy scalar, a list): coerce, then the route.

    The coercion is the one the planner ran (``Adapter.coerce`` with the same request);
    its result is keyed by why it copied, the adapter it went to and that adapter's
    ``route_key``, each key with the route the planner chose for it (the native call where
    the plan had one; any exception from it means "plan this value", as for a native
    entry).  An unseen key means "plan this value".
    """

    __slots__ = ("coerce", "key", "request", "runs")

    def __init__(self, coerce: Callable[[Any, Any], Any], request: Any,
                 key: Callable[[Any, Any], Hashable], runs: dict[Hashable, Any]) -> None:
        self.coerce, self.request, self.key, self.runs = coerce, request, key, runs

    def __call__(self, x: Any) -> Any:
        array, adapter, copied = self.coerce(x, self.request)
        try:
            run, native = self.runs[copied, adapter, self.key(adapter, array)]
        except (KeyError, TypeError):
            raise RouteFallback from None
        if not native:
            return run(array)
        try:
            return run(array)
        except Exception:  # noqa: BLE001 - the native call refuses: the planner decides
            raise RouteFallback from None


NativeRoute: Any = PyNativeRoute
KeyedRoute: Any = PyKeyedRoute


def native_entry(func: Callable[[Any], Any]) -> Any:
    """``func`` as a route whose every exception means \"plan this value\"."""
    if NativeRoute is PyNativeRoute:
        return PyNativeRoute(func)
    return NativeRoute(func, RouteFallback)


def _keyed_entry(key: Callable[[Any], Hashable], runs: dict[Hashable, Any]) -> Any:
    if KeyedRoute is PyKeyedRoute:
        return PyKeyedRoute(key, runs)
    return KeyedRoute(key, runs, RouteFallback)


def use_c_entries(native: Any, keyed: Any) -> None:
    """Store entries as the C types the C dispatcher calls without a Python frame."""
    global NativeRoute, KeyedRoute
    with _lock:
        clear()
        NativeRoute, KeyedRoute = native, keyed


def remember(copy: bool | None, target: Any, device: Any, tp: type, *,
             native: Callable[[Any], Any] | None = None,
             key: Callable[[Any], Hashable] | None = None, route_key: Hashable = None,
             run: Callable[[Any], Any] | None = None, identity: bool = False) -> None:
    """Store the route just executed for values of type ``tp`` (see the module docstring)."""
    try:
        hash(target)
        hash(device)
    except TypeError:
        return  # an unhashable target or device is planned every time
    with _lock:
        table = ROUTES[copy] if device is None else DEVICE_ROUTES[copy].setdefault(device, {})
        inner = table.setdefault(target, {})
        if len(inner) >= MAX_TYPES:
            inner.clear()
        if identity:
            inner[tp] = None
        elif native is not None:
            inner[tp] = native_entry(native)
        elif key is not None and run is not None:
            entry = inner.get(tp)
            if isinstance(entry, NativeRoute):  # the values its native call refuses
                if entry.keyed is None:
                    entry.keyed = _keyed_entry(key, {route_key: run})
                elif entry.keyed.key == key and len(entry.keyed.runs) < MAX_KEYS:
                    entry.keyed.runs[route_key] = run
                return
            if isinstance(entry, KeyedRoute) and entry.key == key:
                if len(entry.runs) < MAX_KEYS:
                    entry.runs[route_key] = run
            elif entry is None and tp in inner:
                return  # an identity entry covers every value of the type
            elif not isinstance(entry, NativeRoute):
                inner[tp] = _keyed_entry(key, {route_key: run})


def remember_coerced(copy: bool | None, target: Any, tp: type, *, coerce: Any, request: Any,
                     key: Callable[[Any, Any], Hashable], route_key: Hashable,
                     run: Callable[[Any], Any], native: bool) -> None:
    """Store the route of a coerced input (``device=None`` calls only) for its type."""
    try:
        hash(target)
    except TypeError:
        return
    with _lock:
        inner = ROUTES[copy].setdefault(target, {})
        if len(inner) >= MAX_TYPES:
            inner.clear()
        entry = inner.get(tp)
        if not isinstance(entry, CoercedRoute):
            inner[tp] = CoercedRoute(coerce, request, key, {route_key: (run, native)})
        elif len(entry.runs) < MAX_KEYS:
            entry.runs[route_key] = (run, native)


def clear() -> None:
    """Forget every remembered route (the registry changed, or a test asks)."""
    for tables in (ROUTES, DEVICE_ROUTES):
        for table in tables.values():
            table.clear()
    _changed()
