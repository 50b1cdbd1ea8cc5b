"""array-api-strict: the reference array-API namespace, used to prove protocol-only routes.

It is exchanged purely through DLPack, with no native shortcut, so it also tests
that interop works for any conforming array library.  As a source, each conversion
asks the array for one capsule (its ``__dlpack__`` is Python and costs more than the
rest of the conversion) and that capsule is described, keyed and consumed: the array
travels as a generic DLPack producer, named as itself in plans and errors.
"""

from __future__ import annotations

from typing import Any

import array_api_strict as xps
import numpy as np

from .._adapter import Adapter, ArrayInfo, Request
from .._devices import CPU, Device
from .._dlpack import negotiate
from .._errors import UnsupportedDeviceError, UnsupportedDtypeError
from .dlpack import DLPackAdapter

__all__ = ["StrictAdapter"]

_ARRAY_TYPE = type(xps.asarray(0))
_CPU_DEVICE = xps.asarray(0).device
#: How a strict array travels to other frameworks: one capsule per conversion.
_DLPACK = DLPackAdapter()
_DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                     "uint64", "float32", "float64", "complex64", "complex128"})


class StrictAdapter(Adapter):
    name = "array_api_strict"
    target_modules = ("array_api_strict",)
    holds_read_only = True  # it wraps NumPy, which keeps the read-only flag
    negative_strides = True  # ... and represents any strided layout

    def owns(self, tp: type) -> bool:
        return issubclass(tp, _ARRAY_TYPE)

    #: The coercion (one ``__dlpack__`` call) is what the planner ran: remembered routes
    #: replay it, then key and consume that capsule.
    coerces_purely = True

    def namespace(self) -> Any:
        return xps

    def coerce(self, x: Any, request: Request) -> tuple[Any, Adapter, str | None]:
        """Into another framework: one capsule (``DLPackAdapter``); within strict: ``x``."""
        if request.target is self:
            return x, self, None  # the identity, and copies strict makes itself
        self.device_of(x)  # a simulated device holds no memory: refuse it with a hint
        # host memory, so no stream; always a versioned capsule, the one that carries
        # READ_ONLY (a legacy-only consumer, JAX, then gets it through a NumPy view)
        negotiated = negotiate(x, stream=None, copy=False if request.copy is False else None)
        return _DLPACK.checked(negotiated, request), _DLPACK, None

    def describe(self, x: Any) -> ArrayInfo:
        from .numpy import NumpyAdapter

        self.device_of(x)
        return NumpyAdapter().describe(self.host_view(x))

    def device_of(self, x: Any) -> Device:
        if x.device != _CPU_DEVICE:
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
