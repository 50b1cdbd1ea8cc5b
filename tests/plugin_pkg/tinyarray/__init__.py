"""tinyarray: the smallest useful array type, standing in for a new framework.

It keeps its values in a private NumPy buffer and speaks DLPack, nothing else:
no ``__array__``, no buffer protocol.  interop learns about it only through the
adapter in ``tinyarray.interop_adapter``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["TinyArray", "asarray", "from_dlpack"]


class TinyArray:
    """An n-d array of one dtype in host memory."""

    __slots__ = ("_buffer",)

    def __init__(self, buffer: np.ndarray) -> None:
        self._buffer = buffer

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._buffer.shape)

    @property
    def dtype(self) -> str:
        return self._buffer.dtype.name

    def tolist(self) -> Any:
        return self._buffer.tolist()

    def __repr__(self) -> str:
        return f"TinyArray({self.tolist()!r}, dtype={self.dtype})"

    def __dlpack__(self, *, stream: Any = None, max_version: Any = None,
                   dl_device: Any = None, copy: bool | None = None) -> Any:
        return self._buffer.__dlpack__(stream=stream, max_version=max_version,
                                       dl_device=dl_device, copy=copy)

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)  # kDLCPU

    def __setitem__(self, key: Any, value: Any) -> None:
        self._buffer[key] = value


def asarray(values: Any, dtype: Any = None) -> TinyArray:
    """A new TinyArray holding a copy of ``values``."""
    return TinyArray(np.array(values, dtype=dtype))


def from_dlpack(producer: Any) -> TinyArray:
    """Import any DLPack producer, sharing its memory."""
    return TinyArray(np.from_dlpack(producer))
