"""The conversion entry points: ``to``, ``to_numpy``, ``explain``.

``to`` first tries a per-(target, type) fast route: a native call installed
after the first successful zero-copy conversion of that pair, which costs a
dict lookup on top of the native call.  A route either returns exactly what
the planned route would, or raises, and then the planned route runs (and
raises the proper interop error if there is one).  Everything else goes through
``coerce -> describe -> plan -> execute``.
"""

from __future__ import annotations

import contextlib
import functools
from typing import TYPE_CHECKING, Any, Literal, overload

from ._adapter import Adapter, ArrayInfo, FastRoute, Request
from ._devices import Device
from ._dlpack import CapsuleProducer, device_of, negotiate
from ._errors import CopyRequiredError, InteropError, UnsupportedDtypeError
from ._plan import Plan, Route, make_plan
from ._registry import COPY_ROUTES, FAST_ROUTES, adapter_for, resolve_target
from ._streams import resolve_stream

__all__ = ["explain", "to", "to_numpy"]


# -- typed overloads: a target name gives the framework's array type (imports for mypy only)
if TYPE_CHECKING:
    import cupy  # type: ignore[import-not-found, unused-ignore]
    import jax
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
    if device is None and stream is None and (copy is None or copy is True):
        try:  # the fast route: one lookup, then the native call (or the input itself)
            route = (FAST_ROUTES if copy is None else COPY_ROUTES)[target][type(x)]
            return x if route is None else route(x)
        except Exception:  # noqa: BLE001 - no route yet, or a case the route leaves to planning
            pass
    return _convert(x, target, device, copy, stream)


def to_numpy(x: Any, /, *, copy: bool | None = None, stream: Any = None) -> Any:
    """Convert anything array-like to a NumPy array: ``.numpy()`` that always works.

    Grad tensors are detached, GPU data is copied to the host after the producer's
    work, lazy conj/neg bits are resolved.  Read-only sources give read-only views.
    """
    if stream is None and (copy is None or copy is True):
        try:
            route = (FAST_ROUTES if copy is None else COPY_ROUTES)["numpy"][type(x)]
            return x if route is None else route(x)
        except Exception:  # noqa: BLE001 - see ``to``
            pass
    return _convert(x, "numpy", None, copy, stream)


def explain(x: Any, target: Any, /, *, device: Any = None, copy: bool | None = None) -> Plan:
    """Say how ``to(x, target, ...)`` would convert ``x``, and why it copies, without converting."""
    dst = resolve_target(target)
    source = adapter_for(x)
    array, src, copied = source.coerce(x, Request(dst, _parse(device), copy, None))
    if _no_conversion(src, dst, copied, copy, device):
        here = src.device_of(array)
        return Plan(source.name, dst.name, here, here, Route.IDENTITY,
                    ("same framework and device: the input itself is returned",), (), copy=copy)
    return make_plan(src, _describe(src, array, copied), dst, device=device, copy=copy,
                     source_name=source.name)


def _convert(x: Any, target: Any, device: Any, copy: bool | None, stream: Any) -> Any:
    dst = resolve_target(target)
    source = adapter_for(x)
    try:
        array, src, copied = source.coerce(x, Request(dst, _parse(device), copy, stream))
        if _no_conversion(src, dst, copied, copy, device):
            if stream is None and source is src:
                _install_fast_route(target, type(x), src, dst)
            return array  # same framework: no conversion, whatever the dtype (as the fast route)
        info = _describe(src, array, copied)
        plan = make_plan(src, info, dst, device=device, copy=copy, source_name=source.name)
        result = _execute(plan, src, array, dst, stream)
    except InteropError:
        raise
    except Exception as exc:
        raise _foreign(exc, source, dst) from exc
    if device is None and stream is None and source is src:
        if plan.route is not Route.COPY:
            _install_fast_route(target, type(x), src, dst)
        elif copy is True:
            _install_copy_route(target, type(x), src, dst)
    return result


def _no_conversion(src: Adapter, dst: Adapter, copied: str | None, copy: bool | None,
                   device: Any) -> bool:
    """Same framework, no copy asked, no device asked: the input is the answer, any dtype."""
    return src is dst and copied is None and copy is not True and device is None


def _parse(device: Any) -> Device | None:
    return None if device is None else Device.parse(device)


def _describe(src: Adapter, array: Any, copied: str | None) -> ArrayInfo:
    info = src.describe(array)
    if copied is None:
        return info
    from dataclasses import replace

    return replace(info, input_copied=copied)


def _execute(plan: Plan, src: Adapter, x: Any, dst: Adapter, stream: Any) -> Any:
    if plan.route is Route.IDENTITY:
        return x
    if plan.route is Route.COPY and not plan.handoff_only:
        return _copy(plan, src, x, dst, stream)
    result = _share(plan, src, x, dst, stream)
    if plan.copy is False and not plan.handoff_only and _copied_anyway(src, x, dst, result):
        raise CopyRequiredError(
            f"copy=False, but {dst.name} copied the data on import (JAX, for one, aliases host "
            "memory only when it is 64-byte aligned). Pass copy=None to accept the copy."
        )
    return result


def _copied_anyway(src: Adapter, x: Any, dst: Adapter, result: Any) -> bool:
    """A last check for ``copy=False``: did the consumer quietly copy what it was handed?"""
    before, after = src.data_pointer(x), dst.data_pointer(result)
    return before is not None and after is not None and before != after


def _share(plan: Plan, src: Adapter, x: Any, dst: Adapter, stream: Any) -> Any:
    """Zero-copy hand-off: NumPy's native routes on the host, DLPack everywhere else."""
    if plan.device.is_host:
        if dst.name == "numpy":
            return src.host_view(x)
        if src.name == "numpy":
            return dst.from_numpy(x)
        if not dst.dlpack_versioned and (plan.read_only or _versioned_capsule(x)):
            # a legacy-only consumer: it cannot take a versioned capsule, and legacy
            # capsules lose READ_ONLY, so NumPy carries the memory across
            return dst.from_numpy(src.host_view(x))
    if isinstance(x, CapsuleProducer):
        return dst.from_dlpack(x)
    producer = src.dlpack_producer(x)
    pair = device_of(producer)
    consumer = None if plan.device.is_host else dst.current_stream(plan.device)
    with src.export_context(x):
        negotiated = negotiate(producer, stream=resolve_stream(stream, pair, consumer),
                               versioned=dst.dlpack_versioned)
    return dst.from_dlpack(CapsuleProducer(negotiated.capsule, pair))


def _versioned_capsule(x: Any) -> bool:
    info = getattr(x, "info", None)
    return bool(info is not None and info.versioned)


def _copy(plan: Plan, src: Adapter, x: Any, dst: Adapter, stream: Any) -> Any:
    """Make exactly one new buffer on the target device and hand it to ``dst``."""
    if plan.source_device.is_host and plan.device.is_host:
        view = src.host_view(x)
        # resolving torch's lazy bits already wrote new memory: hand it over, don't copy twice
        return dst.from_numpy(view) if plan.resolves_values else dst.copy_from_numpy(view)
    if plan.device.is_host:
        return dst.from_numpy(src.to_host(x, stream))
    if plan.source_device.is_host:
        return dst.from_host(src.host_view(x), plan.device, stream)
    if plan.source_device == plan.device:
        return _share(plan, src, src.device_clone(x), dst, stream)
    return dst.from_host(src.to_host(x, stream), plan.device, stream)


def _foreign(exc: Exception, source: Adapter, dst: Adapter) -> InteropError:
    """Re-raise a framework's own error as an interop error (the caller chains ``from``)."""
    text = f"{type(exc).__name__}: {exc}".strip()
    message = (f"Converting a {source.name} array to {dst.name} failed inside "
               f"{type(exc).__module__}: {text}")
    if "dtype" in text.lower():
        return UnsupportedDtypeError(message)
    return InteropError(message)


def _install_fast_route(target: Any, tp: type, src: Adapter, dst: Adapter) -> None:
    """Remember a native route for (target, type); ``None`` stands for "return the input"."""
    route: FastRoute | None = None if src is dst else (src.fast_to(dst) or dst.fast_from(src))
    if route is None and src is not dst:
        return
    with contextlib.suppress(TypeError):  # an unhashable target gets no fast route
        FAST_ROUTES.setdefault(target, {})[tp] = route


def _install_copy_route(target: Any, tp: type, src: Adapter, dst: Adapter) -> None:
    route = src.fast_copy_to(dst) or dst.fast_copy_from(src)
    if route is not None:
        with contextlib.suppress(TypeError):
            COPY_ROUTES.setdefault(target, {})[tp] = route


#: True when the C fast path (``interop._speedups``) sits in front of ``to`` and ``to_numpy``.
#: It does exactly what the Python fast path above does, without a Python frame, and sends
#: misses to ``_convert`` just the same; without the compiled extension nothing changes.
ACCELERATED = False
if not TYPE_CHECKING:  # type checkers see the Python definitions (and their overloads)
    try:
        from ._speedups import Dispatcher
    except ImportError:
        pass
    else:
        to = functools.update_wrapper(Dispatcher(FAST_ROUTES, COPY_ROUTES, _convert), to)
        to_numpy = functools.update_wrapper(
            Dispatcher(FAST_ROUTES, COPY_ROUTES, _convert, "numpy"), to_numpy)
        ACCELERATED = True
