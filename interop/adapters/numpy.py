"""NumPy: the host hub.  Every host conversion can pass through a NumPy view."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._accel import speedups
from .._adapter import Adapter, ArrayInfo, Request
from .._devices import CPU, Device
from .._dtypes import describe_numpy_dtype
from .._errors import InteropError
from .._layout import layout_bits

__all__ = ["NumpyAdapter"]


class NumpyAdapter(Adapter):
    name = "numpy"
    target_modules = ("numpy", "array_api_compat.numpy")
    host_hub = True
    any_layout = True
    coerces_purely = True  # a NumPy scalar becomes a 0-d array, nothing else
    holds_read_only = True
    negative_strides = True

    def owns(self, tp: type) -> bool:
        return issubclass(tp, (np.ndarray, np.generic))

    def namespace(self) -> Any:
        return np

    def coerce(self, x: Any, request: Request) -> tuple[Any, Adapter, str | None]:
        if isinstance(x, np.generic):  # a boxed scalar: copy into a 0-d array
            return np.asarray(x), self, "a NumPy scalar is a boxed value, copied into an array"
        if isinstance(x, np.ma.MaskedArray):
            raise InteropError(
                "This is a NumPy masked array: converting it would silently drop its mask. "
                "Pass x.filled(fill_value) to replace the masked values, or np.ma.getdata(x) to "
                "convert the data under the mask."
            )
        return x, self, None

    def device_of(self, x: Any) -> Device:
        return CPU

    def describe(self, x: Any) -> ArrayInfo:
        dtype = x.dtype  # positional: dtype, shape, strides, itemsize, device, read_only, ...
        return ArrayInfo(describe_numpy_dtype(dtype), x.shape, x.strides, dtype.itemsize, CPU,
                         not x.flags.writeable, not dtype.isnative)

    def route_key(self, x: Any) -> Any:
        """dtype (byte order included), writability, layout bits, emptiness: all a plan reads."""
        flags = x.flags
        bits = 0 if flags.c_contiguous else layout_bits(x.shape, x.strides, x.itemsize)
        return (x.dtype, flags.writeable, bits, x.size == 0)

    if speedups is not None:  # the same facts, read in C
        route_key = speedups.NumpyKey(np.ndarray)

    def host_view(self, x: Any) -> np.ndarray:
        return np.asarray(x)

    def from_dlpack(self, producer: Any) -> Any:
        return np.from_dlpack(producer)

    def from_numpy(self, array: np.ndarray) -> Any:
        return array

    def copy_from_numpy(self, view: np.ndarray) -> Any:
        return view.copy(order="K")  # keeps the dtype, byte order included

    def data_pointer(self, x: Any) -> int | None:
        return int(x.__array_interface__["data"][0])
