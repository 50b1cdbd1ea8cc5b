"""Questions about arrays that do not convert them: framework, device, memory sharing."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from ._adapter import Adapter, Request
from ._devices import Device
from ._plan import is_compact
from ._registry import adapter_for, load_adapter

__all__ = ["device", "framework", "shares_memory"]


def framework(x: Any, /) -> str:
    """The name of the adapter that owns ``x``: ``"numpy"``, ``"torch"``, ``"python"``..."""
    return adapter_for(x).name


def device(x: Any, /) -> Device:
    """The device holding ``x``'s memory, as an ``interop.Device``."""
    return adapter_for(x).device_of(x)


def shares_memory(a: Any, b: Any, /) -> bool:
    """True when ``a`` and ``b`` have at least one byte of memory in common.

    Host arrays are compared exactly through NumPy views (interleaved slices of one
    buffer do not share); device arrays by address ranges on the same device.
    """
    ea, eb = _extent(a), _extent(b)
    if ea is None or eb is None:
        return False
    (dev_a, lo_a, hi_a), (dev_b, lo_b, hi_b) = ea, eb
    if dev_a != dev_b or hi_a <= lo_b or hi_b <= lo_a:
        return False
    if _fills_extent(a) or _fills_extent(b):  # a compact array owns every byte of its range
        return True
    va, vb = _host_view(a), _host_view(b)
    if va is None or vb is None:
        return True
    try:
        return bool(np.shares_memory(va, vb, max_work=cast(Any, 100_000)))
    except np.exceptions.TooHardError:
        return True


def _view_source(x: Any) -> tuple[Any, Adapter]:
    numpy = load_adapter("numpy")
    array, src, _ = adapter_for(x).coerce(x, Request(numpy, None, None, None))
    return array, src


def _extent(x: Any) -> tuple[Device, int, int] | None:
    """``(device, first byte, one past the last byte)`` of the memory ``x`` spans."""
    array, src = _view_source(x)
    info = src.describe(array)
    if 0 in info.shape:
        return None
    start = src.data_pointer(array)
    if start is None:
        view = _host_view(x)
        if view is None:
            return None
        start = int(view.__array_interface__["data"][0])
    low = start + sum(s * (n - 1) for s, n in zip(info.strides, info.shape, strict=True) if s < 0)
    high = start + sum(s * (n - 1) for s, n in zip(info.strides, info.shape, strict=True) if s > 0)
    return info.device, low, high + info.itemsize


def _fills_extent(x: Any) -> bool:
    array, src = _view_source(x)
    info = src.describe(array)
    return is_compact(info.shape, info.strides, info.itemsize)


def _host_view(x: Any) -> np.ndarray | None:
    """A NumPy view of ``x`` without copying, or ``None`` when only a copy would do."""
    array, src = _view_source(x)
    info = src.describe(array)
    if not info.device.is_host or info.value_hazards:
        return None
    return src.host_view(array)
