"""Execute: turn a plan into a route (a callable built from adapter primitives) and run it.

This is the only stage that negotiates capsules, resolves streams, copies memory and
checks ``copy=False`` after the fact.  ``build`` returns the route for a plan; the
caller runs it on the value it planned for and may remember the very same callable
for later values of that type (see ``_remember``), which is why a route takes only
the array: everything else it needs was fixed by the plan.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._adapter import Adapter, RouteKind
from ._dlpack import CapsuleProducer, negotiate
from ._errors import CopyRequiredError
from ._plan import Plan
from ._streams import resolve_stream

__all__ = ["Run", "build"]

#: ``run(array) -> result``: one planned conversion, for any array with the same facts.
Run = Callable[[Any], Any]


def build(plan: Plan, src: Adapter, dst: Adapter, stream: Any) -> Run:
    """The route of ``plan``: the adapter primitives its ``RouteKind`` names, in order."""
    run = _BUILDERS[plan.kind](plan, src, dst, stream)
    if plan.copy is False and plan.may_copy and not plan.empty:
        return _checked(run, src, dst)
    return run


def _identity(plan: Plan, src: Adapter, dst: Adapter, stream: Any) -> Run:
    return _return_input


def _return_input(x: Any) -> Any:
    return x


def _share_to_hub(plan: Plan, src: Adapter, dst: Adapter, stream: Any) -> Run:
    return src.host_view


def _share_from_hub(plan: Plan, src: Adapter, dst: Adapter, stream: Any) -> Run:
    return dst.from_numpy


def _share_via_hub(plan: Plan, src: Adapter, dst: Adapter, stream: Any) -> Run:
    def run(x: Any) -> Any:
        return dst.from_numpy(src.host_view(x))
    return run


def _dlpack(plan: Plan, src: Adapter, dst: Adapter, stream: Any) -> Run:
    host = plan.device.is_host

    def run(x: Any) -> Any:
        if isinstance(x, CapsuleProducer):  # acquired already: a capsule to hand on as is
            if host and not dst.dlpack_versioned and _versioned(x):
                return dst.from_numpy(src.host_view(x))
            return dst.from_dlpack(x)
        producer = src.dlpack_producer(x)
        pair = src.dlpack_device(producer)
        if not host and dst.consumer_names_stream:
            return dst.from_dlpack(StreamForwarder(src, x, producer, pair, stream=stream,
                                                   versioned=dst.dlpack_versioned))
        consumer = None if host else dst.current_stream(plan.device)
        with src.export_context(x):
            handle = src.producer_stream(resolve_stream(stream, pair, consumer))
            capsule = src.export(producer, stream=handle, versioned=dst.dlpack_versioned)
        return dst.from_dlpack(CapsuleProducer(capsule, pair))
    return run


class StreamForwarder:
    """The producer handed to a consumer that names its own stream (JAX on a GPU).

    ``jax.dlpack.from_dlpack`` calls ``__dlpack__(stream=S)`` with the stream it will read
    on; S (or the caller's ``stream=``, which wins) goes on to the real producer, so the
    producer's pending work is ordered before JAX's, not before the legacy stream.
    """

    def __init__(self, src: Adapter, x: Any, producer: Any, pair: tuple[int, int], *,
                 stream: Any, versioned: bool) -> None:
        self._src, self._x, self._producer, self._pair = src, x, producer, pair
        self._stream, self._versioned = stream, versioned

    def __dlpack__(self, *, stream: Any = None, max_version: Any = None,
                   dl_device: Any = None, copy: Any = None) -> Any:
        wanted = self._stream if self._stream is not None else stream
        with self._src.export_context(self._x):
            handle = self._src.producer_stream(resolve_stream(wanted, self._pair, None))
            return negotiate(self._producer, stream=handle, versioned=self._versioned).capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._pair


def _versioned(x: Any) -> bool:
    """A capsule legacy-only consumers cannot read (NumPy carries it across instead)."""
    info = getattr(x, "info", None)
    return bool(info is not None and info.versioned)


def _host_copy(plan: Plan, src: Adapter, dst: Adapter, stream: Any) -> Run:
    if plan.handoff_only:  # the input was copied into a private buffer while acquired
        return _BUILDERS[_share_of(src, dst)](plan, src, dst, stream)
    if plan.resolves_values:  # resolving torch's lazy bits already wrote new memory
        def handoff(x: Any) -> Any:
            return dst.from_numpy(src.host_view(x))
        return handoff

    def run(x: Any) -> Any:
        return dst.copy_from_numpy(src.host_view(x))
    return run


def _share_of(src: Adapter, dst: Adapter) -> RouteKind:
    if dst.host_hub:
        return RouteKind.SHARE_TO_HUB
    return RouteKind.SHARE_FROM_HUB if src.host_hub else RouteKind.SHARE_VIA_HUB


def _to_host(plan: Plan, src: Adapter, dst: Adapter, stream: Any) -> Run:
    def run(x: Any) -> Any:
        return dst.from_numpy(src.to_host(x, stream))
    return run


def _from_host(plan: Plan, src: Adapter, dst: Adapter, stream: Any) -> Run:
    device = plan.device

    def run(x: Any) -> Any:
        return dst.from_host(src.host_view(x), device, stream)
    return run


def _device_clone(plan: Plan, src: Adapter, dst: Adapter, stream: Any) -> Run:
    if src is dst:
        return src.device_clone
    share = _dlpack(plan, src, dst, stream)

    def run(x: Any) -> Any:
        return share(src.device_clone(x))
    return run


def _device_via_host(plan: Plan, src: Adapter, dst: Adapter, stream: Any) -> Run:
    device = plan.device

    def run(x: Any) -> Any:
        return dst.from_host(src.to_host(x, stream), device, stream)
    return run


def _checked(run: Run, src: Adapter, dst: Adapter) -> Run:
    """``copy=False`` into a target that may copy on import: verify that it shared."""
    def checked(x: Any) -> Any:
        before = src.data_pointer(x)
        if before is not None and dst.would_copy(before):  # say so before consuming anything
            raise CopyRequiredError(
                f"copy=False, but {dst.name} would copy this memory on import (it aliases only "
                "64-byte aligned host memory). Pass copy=None to accept the copy.",
                (f"{dst.name} copies memory that is not 64-byte aligned",))
        result = run(x)
        after = dst.data_pointer(result)
        if before is not None and after is not None and before != after:
            raise CopyRequiredError(
                f"copy=False, but {dst.name} copied the data on import (JAX, for one, aliases "
                "host memory only when it is 64-byte aligned). Pass copy=None to accept the copy.",
                (f"{dst.name} copied the data on import",))
        return result
    return checked


_BUILDERS: dict[RouteKind, Callable[[Plan, Adapter, Adapter, Any], Run]] = {
    RouteKind.IDENTITY: _identity,
    RouteKind.SHARE_TO_HUB: _share_to_hub,
    RouteKind.SHARE_FROM_HUB: _share_from_hub,
    RouteKind.SHARE_VIA_HUB: _share_via_hub,
    RouteKind.DLPACK: _dlpack,
    RouteKind.HOST_COPY: _host_copy,
    RouteKind.TO_HOST: _to_host,
    RouteKind.FROM_HOST: _from_host,
    RouteKind.DEVICE_CLONE: _device_clone,
    RouteKind.DEVICE_VIA_HOST: _device_via_host,
}
