"""NumPy: the host hub.  Every host conversion can pass through a NumPy view."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._adapter import Adapter, ArrayInfo, FastRoute, Request
from .._devices import CPU, Device
from .._dtypes import EXTENDED, numpy_name

__all__ = ["NumpyAdapter"]


def _copy_keep_layout(x: np.ndarray) -> np.ndarray:
    """NumPy -> NumPy with copy=True: same dtype (byte order too), memory order kept."""
    return x.copy(order="K")


class NumpyAdapter(Adapter):
    name = "numpy"
    module = "numpy"
    target_modules = ("numpy", "array_api_compat.numpy")
    install_hint = "pip install numpy"
    holds_read_only = True
    negative_strides = True

    def owns(self, tp: type) -> bool:
        return issubclass(tp, (np.ndarray, np.generic))

    def namespace(self) -> Any:
        return np

    def coerce(self, x: Any, request: Request) -> tuple[Any, Adapter, str | None]:
        if isinstance(x, np.generic):  # a boxed scalar: copy into a 0-d array
            return np.asarray(x), self, "a NumPy scalar is a boxed value, copied into an array"
        return x, self, None

    def device_of(self, x: Any) -> Device:
        return CPU

    def describe(self, x: Any) -> ArrayInfo:
        return ArrayInfo(
            dtype=numpy_name(x.dtype), shape=x.shape, strides=x.strides, itemsize=x.itemsize,
            read_only=not x.flags.writeable, byteswapped=not x.dtype.isnative,
        )

    def dlpack_producer(self, x: Any) -> Any:
        if x.dtype.name in EXTENDED:  # NumPy cannot export ml_dtypes types through DLPack
            raise NotImplementedError("extended dtypes travel by bit-cast views, not DLPack")
        return x

    def host_view(self, x: Any) -> np.ndarray:
        return np.asarray(x)

    def fast_copy_to(self, target: Adapter) -> FastRoute | None:
        return _copy_keep_layout if target is self else None

    def from_dlpack(self, producer: Any) -> Any:
        return np.from_dlpack(producer)

    def from_numpy(self, array: np.ndarray) -> Any:
        return array

    def copy_from_numpy(self, view: np.ndarray) -> Any:
        return view.copy(order="K")  # keeps the dtype, byte order included

    def data_pointer(self, x: Any) -> int | None:
        return int(x.__array_interface__["data"][0])
