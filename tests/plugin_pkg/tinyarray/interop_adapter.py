"""The interop adapter of tinyarray, found through the ``interop.adapters`` entry point.

Only public interop names are used: ``interop.Adapter``, ``interop.ArrayInfo`` and
``interop.UnsupportedDtypeError``.
"""

from __future__ import annotations

from typing import Any

import interop
import tinyarray

#: Dtypes a NumPy buffer can import through DLPack.
_DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                     "uint64", "float16", "float32", "float64", "complex64", "complex128"})


class TinyAdapter(interop.Adapter):
    name = "tinyarray"
    module = "tinyarray"
    target_modules = ("tinyarray",)
    install_hint = "pip install tinyarray"
    holds_read_only = True  # the NumPy buffer keeps a read-only flag
    negative_strides = True

    def owns(self, tp: type) -> bool:
        return issubclass(tp, tinyarray.TinyArray)

    def namespace(self) -> Any:
        return tinyarray

    def describe(self, x: Any) -> interop.ArrayInfo:
        buffer = x._buffer
        return interop.ArrayInfo(
            dtype=buffer.dtype.name, shape=tuple(buffer.shape), strides=tuple(buffer.strides),
            itemsize=buffer.itemsize, read_only=not buffer.flags.writeable,
        )

    def check_dtype(self, dtype: str) -> None:
        if dtype not in _DTYPES:
            raise interop.UnsupportedDtypeError(f"tinyarray cannot hold {dtype}")

    def from_dlpack(self, producer: Any) -> Any:
        return tinyarray.from_dlpack(producer)

    def data_pointer(self, x: Any) -> int | None:
        return int(x._buffer.ctypes.data)
