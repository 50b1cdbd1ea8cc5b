"""Questions about arrays that do not convert them: framework, device, memory sharing."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

from ._adapter import Adapter, Request
from ._devices import Device
from ._errors import InteropError
from ._layout import is_compact
from ._registry import adapter_for, load_adapter

__all__ = ["device", "framework", "shares_memory"]


F = TypeVar("F", bound=Callable[..., Any])


def interop_errors_only(func: F) -> F:
    """A misbehaving producer's own exception leaves as an ``InteropError`` (chained)."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InteropError:
            raise
        except Exception as exc:
            raise foreign_error(func.__name__, exc) from exc
    return cast(F, wrapper)


def foreign_error(name: str, exc: Exception) -> InteropError:
    """The ``InteropError`` for a framework's own exception escaping ``interop.<name>``.

    The caller raises it ``from exc``; ``like`` does without the wrapper (one call less).
    """
    return InteropError(f"interop.{name} failed inside {type(exc).__module__}: "
                        f"{type(exc).__name__}: {exc}")


@interop_errors_only
def framework(x: Any, /) -> str:
    """The name of the adapter that owns ``x``: ``"numpy"``, ``"torch"``, ``"python"``..."""
    return adapter_for(x).name


@interop_errors_only
def device(x: Any, /) -> Device:
    """The device holding ``x``'s memory, as an ``interop.Device``."""
    return adapter_for(x).device_of(x)


@interop_errors_only
def shares_memory(a: Any, b: Any, /) -> bool:
    """True when ``a`` and ``b`` have at least one byte of memory in common.

    Host arrays are compared exactly through NumPy views (interleaved slices of one
    buffer do not share, nor does a compact array lying in a strided one's gaps);
    device arrays by address ranges on the same device.  A capsule is read, never
    consumed.
    """
    ma, mb = _Memory.of(a), _Memory.of(b)
    if ma.extent is None or mb.extent is None:
        return False
    (dev_a, lo_a, hi_a), (dev_b, lo_b, hi_b) = ma.extent, mb.extent
    if dev_a != dev_b or hi_a <= lo_b or hi_b <= lo_a:
        return False
    if ma.compact and mb.compact:  # overlapping ranges with no gaps share bytes
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
        """A NumPy view without copying (or consuming), or ``None`` when only a copy would do."""
        if not self.info.device.is_host or self.info.value_hazards:
            return None
        peek = getattr(self.src, "peek_view", None)
        if peek is not None:  # a capsule: read its bytes without consuming it
            view: np.ndarray | None = peek(self.array)
            return view
        return self.src.host_view(self.array)
