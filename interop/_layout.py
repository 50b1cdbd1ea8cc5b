"""Memory layouts: the stride facts every stage reads, computed in one place.

A leaf module (imports nothing of interop) so that adapters, the planner and
``shares_memory`` share one definition of "compact", "negative" and "odd".
Dimensions of size 1 have no meaningful stride (NumPy and torch ignore it), and
an empty array has no layout at all: both are ignored here.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NEGATIVE", "NONCOMPACT", "ODD", "c_strides", "is_compact", "layout_bits",
           "native_contiguous"]

#: A stride is negative (some frameworks cannot represent it).
NEGATIVE = 1
#: A stride is not a multiple of the item size (one field of a structured array...).
ODD = 2
#: The elements do not fill their memory without gaps in any dimension order.
NONCOMPACT = 4


def c_strides(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    """Byte strides of a C-ordered (row-major) compact array."""
    strides, step = [], itemsize
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def is_compact(shape: tuple[int, ...], strides: tuple[int, ...], itemsize: int) -> bool:
    """True when the elements fill their memory with no gaps, in some dimension order."""
    if 0 in shape:
        return True
    dims = sorted(((abs(st), n) for n, st in zip(shape, strides, strict=True) if n != 1),
                  reverse=True)
    expected = itemsize
    for stride, size in reversed(dims):
        if stride != expected:
            return False
        expected *= size
    return True


def layout_bits(shape: tuple[int, ...], strides: tuple[int, ...], itemsize: int) -> int:
    """``NEGATIVE | ODD | NONCOMPACT`` as they apply; 0 for compact, positive layouts."""
    if 0 in shape or _c_ordered(shape, strides, itemsize):
        return 0  # the common case, decided in one pass without sorting
    bits = 0
    for size, stride in zip(shape, strides, strict=True):
        if size == 1:
            continue
        if stride < 0:
            bits |= NEGATIVE
        if itemsize and stride % itemsize:
            bits |= ODD
    if not is_compact(shape, strides, itemsize):
        bits |= NONCOMPACT
    return bits


def _c_ordered(shape: tuple[int, ...], strides: tuple[int, ...], itemsize: int) -> bool:
    """True for a compact, row-major layout (sizes of 1 ignored, as everywhere here)."""
    expected = itemsize
    # (zip's strict=True costs a keyword dict per call; describe gives equal lengths)
    for size, stride in zip(reversed(shape), reversed(strides)):  # noqa: B905
        if size != 1 and stride != expected:
            return False
        expected *= size
    return True


def native_contiguous(view: Any) -> Any:
    """A C-ordered, native-byte-order NumPy array of ``view``'s values (a copy only if needed).

    Host-to-device copies hand this to the framework: none of them takes non-native byte
    order, and ``np.ascontiguousarray`` would turn a 0-d array into a 1-d one.
    """
    import numpy as np

    dtype = view.dtype if view.dtype.isnative else view.dtype.newbyteorder("=")
    if view.flags.c_contiguous and dtype is view.dtype:
        return view
    return np.array(view, dtype=dtype, order="C")
