"""Dask arrays: a *lazy* source whose conversions are chunk-wise Dask arrays.

A Dask array holds no memory, only a graph and a ``_meta`` (an empty array of its
chunk type).  So this adapter answers "what is it?" from the meta (its framework,
dtype and device are the chunks'), and converting one never goes through the
planner's routes: ``interop.to`` hands it to ``lazy_to``, which returns a new Dask
array whose every chunk is ``interop.to(chunk, target, ...)`` (``interop._dask``).
Nothing here imports Dask: a Dask array cannot exist before ``dask.array`` (or the
separate ``dask_array`` package) is imported, so ownership is read in ``sys.modules``.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from .._adapter import Adapter, ArrayInfo
from .._devices import Device
from .._errors import InteropError

__all__ = ["DaskAdapter", "is_dask_array", "package_of"]

#: Modules defining Dask array classes: dask's own, and the separate ``dask-array`` package.
_ARRAY_MODULES = ("dask.array", "dask_array")


def is_dask_array(x: object) -> bool:
    """True for an array of ``dask.array`` or ``dask_array`` (never imports either)."""
    return _is_dask_type(type(x))


def _is_dask_type(tp: type) -> bool:
    for name in _ARRAY_MODULES:
        module = sys.modules.get(name)
        cls = getattr(module, "Array", None) if module is not None else None
        if isinstance(cls, type) and issubclass(tp, cls):
            return True
    return False


class DaskAdapter(Adapter):
    """A Dask array is described by its meta and converted chunk by chunk, lazily."""

    name = "dask"
    target_modules = ("dask.array", "dask_array")

    def owns(self, tp: type) -> bool:
        return _is_dask_type(tp)

    def namespace(self) -> Any:
        import dask.array

        return dask.array

    # -- source side: the facts of the chunks, read from the meta -----------------------
    def describe(self, x: Any) -> ArrayInfo:
        """The meta's facts (dtype, device); its shape is the meta's empty one.

        The empty shape is deliberate: a lazy array has no bytes yet, so ``shares_memory``
        finds nothing to compare and a plan has nothing to protect.
        """
        from .._registry import adapter_for

        meta = meta_of(x)
        return adapter_for(meta).describe(meta)

    def device_of(self, x: Any) -> Device:
        from .._registry import adapter_for

        meta = meta_of(x)
        return adapter_for(meta).device_of(meta)

    def data_pointer(self, x: Any) -> int | None:
        return None  # no memory until computed

    def host_view(self, x: Any) -> np.ndarray:
        raise InteropError(
            "A Dask array has no memory to view until it is computed. Call "
            "interop.to_numpy(x) (it computes), or interop.to(x, 'numpy') for a lazy Dask "
            "array of NumPy chunks.")

    def lazy_to(self, x: Any, target: Any, *, device: Any, copy: bool | None, stream: Any,
                alias: bool = False) -> Any:
        """``interop.to`` of a Dask array: a lazy Dask array of ``target`` chunks."""
        from .._dask import convert_chunkwise

        return convert_chunkwise(x, target, device=device, copy=copy, stream=stream,
                                 alias=alias)

    def lazy_plan(self, x: Any, target: Any, *, device: Any, copy: bool | None) -> Any:
        """``interop.explain`` of a Dask array: the chunk-wise plan, from the meta only."""
        from .._dask import explain_chunkwise

        return explain_chunkwise(x, target, device=device, copy=copy)

    # -- target side: interop does not build Dask arrays from other arrays -------------
    def check_dtype(self, dtype: str) -> None:
        raise InteropError(
            "interop converts Dask arrays chunk by chunk but does not create them: 'dask' is "
            "a target only for Dask arrays (it keeps their chunk framework). Wrap the array "
            "yourself: dask.array.from_array(interop.to(x, 'numpy'), chunks=...).")

    def from_dlpack(self, producer: Any) -> Any:
        self.check_dtype("")
        raise AssertionError("unreachable")  # pragma: no cover


def package_of(x: Any) -> str:
    """``"dask_array"`` for an array of the separate ``dask-array`` package, else
    ``"dask.array"``: the two keep separate dispatch tables and dtype rules."""
    cls = getattr(sys.modules.get("dask_array"), "Array", None)
    return "dask_array" if isinstance(cls, type) and isinstance(x, cls) else "dask.array"


def meta_of(x: Any) -> Any:
    """The empty array of ``x``'s chunk type that Dask keeps (``x._meta``)."""
    meta = getattr(x, "_meta", None)
    if meta is None:
        raise InteropError(
            f"This {type(x).__module__}.{type(x).__qualname__} has no _meta, so interop cannot "
            "tell what its chunks are. Give it one (dask.array.map_blocks(..., meta=...)).")
    return meta
