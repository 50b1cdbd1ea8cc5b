"""Questions about arrays that do not convert them: framework, device, memory sharing."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from ._adapter import Adapter, Request
from ._devices import Device
from ._layout import is_compact
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
    ma, mb = _Memory.of(a), _Memory.of(b)
    if ma.extent is None or mb.extent is None:
        return False
    (dev_a, lo_a, hi_a), (dev_b, lo_b, hi_b) = ma.extent, mb.extent
    if dev_a != dev_b or hi_a <= lo_b or hi_b <= lo_a:
        return False
    if ma.compact or mb.compact:  # a compact array owns every byte of its range
        return True
    va, vb = ma.host_view(), mb.host_view()
    if va is None or vb is None:
        return True
    try:
        return bool(np.shares_memory(va, vb, max_work=cast(Any, 100_000)))
    except np.exceptions.TooHardError:
        return True


class _Memory:
    """Where one array's bytes are: read once (a DLPack producer is asked only once)."""

    def __init__(self, array: Any, src: Adapter) -> None:
        self.array, self.src = array, src
        self.info = src.describe(array)
        info = self.info
        self.compact = is_compact(info.shape, info.strides, info.itemsize)
        self.extent: tuple[Device, int, int] | None = None
        start = None if 0 in info.shape else self._start()
        if start is not None:
            pairs = list(zip(info.strides, info.shape, strict=True))
            low = start + sum(s * (n - 1) for s, n in pairs if s < 0)
            high = start + sum(s * (n - 1) for s, n in pairs if s > 0)
            self.extent = (info.device, low, high + info.itemsize)

    @classmethod
    def of(cls, x: Any) -> _Memory:
        numpy = load_adapter("numpy")
        array, src, _ = adapter_for(x).coerce(
            x, Request(numpy, None, None, None, explaining=True, adapters=load_adapter))
        return cls(array, src)

    def _start(self) -> int | None:
        start = self.src.data_pointer(self.array)
        if start is None:
            view = self.host_view()
            start = None if view is None else int(view.__array_interface__["data"][0])
        return start

    def host_view(self) -> np.ndarray | None:
        """A NumPy view without copying, or ``None`` when only a copy would do."""
        if not self.info.device.is_host or self.info.value_hazards:
            return None
        return self.src.host_view(self.array)
