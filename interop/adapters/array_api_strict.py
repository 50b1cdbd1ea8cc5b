"""array-api-strict: the reference array-API namespace, used to prove protocol-only routes.

It is exchanged purely through DLPack, with no native shortcut, so it also tests
that interop works for any conforming array library.
"""

from __future__ import annotations

from typing import Any

import array_api_strict as xps
import numpy as np

from .._adapter import Adapter, ArrayInfo
from .._devices import CPU, Device
from .._errors import UnsupportedDeviceError, UnsupportedDtypeError

__all__ = ["StrictAdapter"]

_ARRAY_TYPE = type(xps.asarray(0))
_CPU_DEVICE = xps.asarray(0).device
_DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                     "uint64", "float32", "float64", "complex64", "complex128"})


class StrictAdapter(Adapter):
    name = "array_api_strict"
    target_modules = ("array_api_strict",)
    holds_read_only = True  # it wraps NumPy, which keeps the read-only flag
    negative_strides = True  # ... and represents any strided layout

    def owns(self, tp: type) -> bool:
        return issubclass(tp, _ARRAY_TYPE)

    def namespace(self) -> Any:
        return xps

    def describe(self, x: Any) -> ArrayInfo:
        from .numpy import NumpyAdapter

        self.device_of(x)
        return NumpyAdapter().describe(self.host_view(x))

    def device_of(self, x: Any) -> Device:
        if "CPU_DEVICE" not in str(x.device):
            raise UnsupportedDeviceError(
                f"This array-api-strict array is on its simulated device {x.device}; only "
                "CPU_DEVICE holds real memory. Move it with x.to_device(array_api_strict.Device"
                "('CPU_DEVICE')) first."
            )
        return CPU

    def check_dtype(self, dtype: str) -> None:
        if dtype not in _DTYPES:
            raise UnsupportedDtypeError(
                f"array-api-strict has no {dtype} dtype (it implements exactly the array API "
                "dtypes)."
            )

    def from_dlpack(self, producer: Any) -> Any:
        return xps.from_dlpack(producer)

    def from_numpy(self, array: np.ndarray) -> Any:
        return xps.from_dlpack(array)
