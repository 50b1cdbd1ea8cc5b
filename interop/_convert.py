"""The conversion entry points: ``to``, ``to_numpy``, ``explain``, and the stages in order.

``to`` first looks for a remembered route (``_remember``): the callable a previous
conversion of the same type ran, which either returns exactly what the planner
would give for this value or hands the value back.  Everything else goes through
the stages, each in its own module and data flowing one way::

    acquire (_acquire) -> plan (_plan, pure) -> execute (_execute) -> remember (_remember)

``explain`` stops after planning.  With the C extension built (and
``INTEROP_NO_SPEEDUPS`` unset) the table lookup runs in C; the tables, the entries
and the slow path are the same.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from ._accel import REASON, speedups
from ._acquire import Source, acquire, check_copy
from ._adapter import K_IDENTITY, Adapter
from ._devices import Device
from ._errors import InteropError, RouteFallback, UnsupportedDtypeError
from ._execute import build
from ._plan import SHARE, Plan, identity_plan, make_plan
from ._registry import on_change, resolve_target
from ._remember import DEVICE_ROUTES, ROUTES, clear, remember, remember_coerced, use_c_entries

__all__ = ["explain", "planned", "to", "to_numpy", "unsafe_alias"]


# -- typed overloads: a target name gives the framework's array type (imports for mypy only)
if TYPE_CHECKING:
    import cupy  # type: ignore[import-not-found, unused-ignore]
    import jax
    import mlx.core  # type: ignore[import-not-found, import-untyped, unused-ignore]
    import paddle  # type: ignore[import-not-found, import-untyped, unused-ignore]
    import tensorflow  # type: ignore[import-not-found, import-untyped, unused-ignore]
    import torch
    from numpy.typing import NDArray


@overload
def to(x: Any, target: Literal["torch"], /, *, device: Any = None, copy: bool | None = None,
       stream: Any = None) -> torch.Tensor: ...
@overload
def to(x: Any, target: Literal["numpy"], /, *, device: Any = None, copy: bool | None = None,
       stream: Any = None) -> NDArray[Any]: ...
@overload
def to(x: Any, target: Literal["jax"], /, *, device: Any = None, copy: bool | None = None,
       stream: Any = None) -> jax.Array: ...
@overload
def to(x: Any, target: Literal["cupy"], /, *, device: Any = None, copy: bool | None = None,
       stream: Any = None) -> cupy.ndarray: ...
@overload
def to(x: Any, target: Literal["tensorflow"], /, *, device: Any = None,
       copy: bool | None = None, stream: Any = None) -> tensorflow.Tensor: ...
@overload
def to(x: Any, target: Literal["mlx"], /, *, device: Any = None, copy: bool | None = None,
       stream: Any = None) -> mlx.core.array: ...
@overload
def to(x: Any, target: Literal["paddle"], /, *, device: Any = None, copy: bool | None = None,
       stream: Any = None) -> paddle.Tensor: ...
@overload
def to(x: Any, target: Any, /, *, device: Any = None, copy: bool | None = None,
       stream: Any = None) -> Any: ...
def to(x: Any, target: Any, /, *, device: Any = None, copy: bool | None = None,
       stream: Any = None) -> Any:
    """Convert ``x`` to an array of ``target`` (a framework name or module), exactly.

    ``copy`` follows the array API: ``True`` never shares memory, ``False`` always
    shares or raises ``CopyRequiredError``, ``None`` shares when it is safe.
    ``device=None`` keeps the source device when the target can hold it.
    ``stream`` orders GPU hand-offs (default: the target's current stream).
    """
    if stream is None and (copy is None or copy is True or copy is False):
        try:
            table = ROUTES[copy] if device is None else DEVICE_ROUTES[copy][device]
            entry = table[target][type(x)]
        except (KeyError, TypeError):
            pass
        else:
            if entry is None:
                return x
            try:
                return entry(x)
            except RouteFallback:
                pass
    return convert(x, target, device, copy, stream)


def to_numpy(x: Any, /, *, copy: bool | None = None, stream: Any = None) -> NDArray[Any]:
    """Convert anything array-like to a NumPy array: ``.numpy()`` that always works.

    Grad tensors are detached, GPU data is copied to the host after the producer's
    work, lazy conj/neg bits are resolved.  Read-only sources give read-only views.
    A Dask array is *computed* (its chunks converted where they are, then joined):
    the name promises an ndarray, whereas ``to(x, "numpy")`` stays lazy.
    """
    result: NDArray[Any] = to(x, "numpy", copy=copy, stream=stream)
    if type(result) is not np.ndarray and hasattr(result, "__dask_graph__"):
        result = result.compute()  # type: ignore[attr-defined]
    return result


def explain(x: Any, target: Any, /, *, device: Any = None, copy: bool | None = None) -> Plan:
    """Say how ``to(x, target, ...)`` would convert ``x``, and why it copies, without converting.

    Nothing is copied, moved or remembered; a generic DLPack producer is asked once for
    its metadata, which DLPack offers no other way to read.
    """
    copy = check_copy(copy)
    dst = resolve_target(target)
    try:
        source = acquire(x, dst, _parse(device), copy, None, explaining=True)
        lazy = getattr(source.owner, "lazy_plan", None)  # Dask: the chunk-wise plan
        if lazy is not None:
            return lazy(source.array, target, device=device, copy=copy)  # type: ignore[no-any-return]
        return _plan(source, dst, device, copy)
    except InteropError:
        raise
    except Exception as exc:
        raise _foreign(exc, type(x).__name__, dst, "plan") from exc


def planned(x: Any, target: Any, /, *, device: Any = None, copy: bool | None = None,
            stream: Any = None) -> Any:
    """``to`` without remembered routes: the stages alone (for tests and debugging)."""
    return convert(x, target, device, copy, stream, keep=False)


def unsafe_alias(x: Any, target: Any, /, *, device: Any = None, stream: Any = None) -> Any:
    """A zero-copy, *writable* view of an immutable array (JAX) in ``target`` (torch, cupy).

    ``interop.to`` copies immutable sources into writable targets (``copy=None``) or
    raises ``CopyRequiredError`` (``copy=False``), because JAX may hand out read-only
    memory and assumes its buffers never change.  This function is the one way to take
    the alias anyway, e.g. to feed a JAX result to a torch kernel on the GPU without a
    copy.  A write through the result changes the JAX array's buffer under JAX: results
    already computed from it keep their values, later computations may or may not see
    the write, and a donated or cached buffer can be corrupted.  Memory *flagged*
    read-only (a read-only NumPy array, a DLPack READ_ONLY capsule) is refused with
    ``CopyRequiredError``; a JAX array built on a read-only NumPy array carries no flag,
    so never alias one (a write would crash on a read-only memory map).  Anything that
    would need a copy raises ``CopyRequiredError``, as with ``copy=False``.
    """
    return convert(x, target, device, False, stream, keep=False, alias=True)


def convert(x: Any, target: Any, device: Any, copy: Any, stream: Any, *,
            keep: bool = True, alias: bool = False) -> Any:
    """The planned conversion: acquire, plan, execute and (when ``keep``) remember."""
    copy = check_copy(copy)
    dst = resolve_target(target)
    source: Source | None = None
    stage = "acquire"
    try:
        source = acquire(x, dst, _parse(device), copy, stream)
        stage = "plan"
        lazy = getattr(source.owner, "lazy_to", None)  # Dask: a lazy array, never remembered
        if lazy is not None:
            return lazy(source.array, target, device=device, copy=copy, stream=stream,
                        alias=alias)
        plan = _plan(source, dst, device, copy, alias)
        stage = "execute"
        src, array = source.adapter, source.array
        run = build(plan, src, dst, stream)
        native = _native(plan, src, dst)
        if native is not None:
            try:
                result = native(array)
            except Exception:  # noqa: BLE001 - the native call refuses what it must plan
                native, result = None, run(array)
        else:
            result = run(array)
    except Exception as exc:
        release = getattr(source.array if source else None, "release", None)
        if release is not None:
            release()  # a caller's raw capsule, unconsumed: it stays as it was
        if isinstance(exc, InteropError):
            raise
        raise _foreign(exc, source.owner.name if source else type(x).__name__, dst,
                       stage) from exc
    if keep and stream is None and not isinstance(target, Adapter):
        if source.unchanged:
            _keep(plan, source, target, device, copy, native=native, run=run)
        elif device is None and source.owner.coerces_purely and source.request is not None:
            _keep_coerced(source, type(x), target, copy, native=native, run=run)
    return result


def _plan(source: Source, dst: Adapter, device: Any, copy: bool | None,
          alias: bool = False) -> Plan:
    src = source.adapter
    if src is dst and source.copied is None and copy is not True and device is None:
        # same framework, no copy, no device asked: the input is the answer, any dtype
        return identity_plan(source.owner.name, dst.name, src.device_of(source.array), copy)
    return make_plan(src, source.describe(), dst, device=device, copy=copy,
                     source_name=source.owner.name, alias=alias)


def _native(plan: Plan, src: Adapter, dst: Adapter) -> Any:
    """A native call that performs this plan's route, where one exists for a plain plan.

    Only zero-copy plans that neither detach nor resolve anything qualify, and not a
    ``copy=False`` plan whose result must be checked after the fact; a hand-off of the
    private buffer acquiring made (a NumPy scalar, a list) shares that buffer, so it
    qualifies too.
    """
    plain = not (plan.detach or plan.resolves_values or (plan.copy is False and plan.may_copy))
    if not plain or (plan.route is not SHARE and not plan.handoff_only):
        return None
    return src.native(plan.kind, dst) or dst.native(plan.kind, src)


def _keep(plan: Plan, source: Source, target: Any, device: Any, copy: bool | None, *,
          native: Any, run: Any) -> None:
    tp = type(source.array)
    if plan.kind is K_IDENTITY and device is None:
        remember(copy, target, device, tp, identity=True)
    elif native is not None:
        remember(copy, target, device, tp, native=native)
    else:  # keyed; beside a native entry, it serves the values the native call refuses
        key = _route_key(source.adapter, resolve_target(target))
        remember(copy, target, device, tp, key=key, route_key=key(source.array), run=run)


def _keep_coerced(source: Source, tp: type, target: Any, copy: bool | None, *, native: Any,
                  run: Any) -> None:
    """A coerced input (NumPy scalar, list): remember "coerce, then this route" for ``tp``."""
    key = _route_key(source.adapter, resolve_target(target))
    remember_coerced(copy, target, tp, coerce=source.owner.coerce, request=source.request,
                     key=_coerced_key(source.adapter, key),
                     route_key=(source.copied, source.adapter, key(source.array)),
                     run=native or run, native=native is not None)


def _coerced_key(expected: Adapter, key: Callable[[Any], Hashable]
                 ) -> Callable[[Any, Any], Hashable]:
    """The route key of a coerced array, for arrays of the adapter the first one went to."""
    def coerced_key(adapter: Adapter, array: Any) -> Hashable:
        if adapter is not expected:
            raise KeyError(adapter.name)  # another adapter's array: plan it
        return key(array)

    return coerced_key


_KEYS: dict[tuple[Adapter, Adapter], Callable[[Any], Hashable]] = {}


def _route_key(src: Adapter, dst: Adapter) -> Callable[[Any], Hashable]:
    """What a remembered route re-checks: the value's facts, and the target's settings."""
    if type(dst).settings_key is Adapter.settings_key:
        return src.route_key
    key = _KEYS.get((src, dst))
    if key is None:
        source_key, settings = src.route_key, dst.settings_key

        def key(x: Any) -> Hashable:
            return source_key(x), settings()

        _KEYS[(src, dst)] = key
    return key


def _parse(device: Any) -> Device | None:
    return None if device is None else Device.parse(device)


def _foreign(exc: Exception, source: str, dst: Adapter, stage: str) -> InteropError:
    """Re-raise a framework's own error as an interop error (the caller chains ``from``).

    Mapped by type and stage, never by the words in the message: a ``TypeError`` raised
    while the target imports (the planner has already checked the dtype against its table)
    is the framework refusing the element type; anything else is an ``InteropError``.
    """
    text = f"{type(exc).__name__}: {exc}".strip()
    message = (f"Converting a {source} array to {dst.name} failed inside "
               f"{type(exc).__module__} ({stage} stage): {text}")
    if isinstance(exc, TypeError) and stage == "execute":
        return UnsupportedDtypeError(message)
    return InteropError(message)


on_change(clear)


#: True when the C fast path (``interop._speedups``) sits in front of ``to``.
ACCELERATED = False
#: Why the C fast path is off (``None`` while it is on).
SPEEDUPS_REASON: str | None = REASON
if not TYPE_CHECKING and speedups is not None:  # type checkers see the Python definitions
    use_c_entries(speedups.NativeRoute, speedups.KeyedRoute)
    to = functools.update_wrapper(
        speedups.Dispatcher(ROUTES, DEVICE_ROUTES, convert, RouteFallback), to)
    ACCELERATED = True
