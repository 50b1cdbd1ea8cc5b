"""MLX: immutable arrays that are exported without a copy but always copied on import.

* An MLX array never changes, so MLX is a read-only source (like JAX): NumPy gets a
  read-only view, writable targets (torch, cupy, paddle) a copy under ``copy=None`` and
  ``CopyRequiredError`` under ``copy=False`` — ``torch.from_dlpack`` alone would hand out
  a writable alias.
* Every import into MLX copies (``mx.array`` and ``mx.from_dlpack`` alike), so
  ``copy=False`` into MLX always raises ``CopyRequiredError``, before anything is read.
* ``mx.array``/``mx.from_dlpack`` silently narrow float64 to float32 and complex128 to
  complex64; imports here name the MLX dtype explicitly and check the result, and MLX
  (which has no complex128 or float8) refuses those dtypes in planning.
* On Apple silicon MLX's Metal device shares unified memory with the CPU.  interop
  trusts ``__dlpack_device__``: an array reported as CPU memory is shared with NumPy and
  torch like any host array; one reported as Metal (``kDLMetal``, interop's ``mps``) is
  device memory, which interop copies through the host rather than assume addressability.
"""

from __future__ import annotations

from typing import Any

import mlx.core as mx
import numpy as np

from .._adapter import Adapter, ArrayInfo
from .._devices import CPU, Device
from .._dlpack import CapsuleProducer, read_capsule
from .._dtypes import numpy_name, same_width_uint
from .._errors import InteropError, UnsupportedDeviceError, UnsupportedDtypeError
from ._views import canonical_name, host_view_of, info_of_view

__all__ = ["MlxAdapter"]

_NAMES: dict[Any, str] = {
    mx.bool_: "bool", mx.int8: "int8", mx.int16: "int16", mx.int32: "int32", mx.int64: "int64",
    mx.uint8: "uint8", mx.uint16: "uint16", mx.uint32: "uint32", mx.uint64: "uint64",
    mx.float16: "float16", mx.float32: "float32", mx.float64: "float64",
    mx.bfloat16: "bfloat16", mx.complex64: "complex64",
}
_DTYPES = {name: dtype for dtype, name in _NAMES.items()}


#: How to get a dtype this framework cannot exchange into one it can.
_FIX = (
    'convert it first, e.g. x.astype(mlx.core.float32).')


def _name(x: Any) -> str:
    return canonical_name(_NAMES, x.dtype, "MLX", _FIX)


class MlxAdapter(Adapter):
    name = "mlx"
    target_modules = ("mlx", "mlx.core")
    immutable = True  # MLX arrays never change: writable targets must not alias them
    holds_read_only = True  # ... and MLX copies whatever it imports
    negative_strides = False  # mx.from_dlpack refuses them
    may_copy_on_import = True  # it always does: would_copy says so before any import

    def owns(self, tp: type) -> bool:
        return issubclass(tp, mx.array)

    def namespace(self) -> Any:
        return mx

    def describe(self, x: Any) -> ArrayInfo:
        name = _name(x)  # before any export
        device = self.device_of(x)
        if not device.is_host:
            raise UnsupportedDeviceError(
                f"This MLX array is on {device}; interop reads MLX arrays in host memory. "
                "Evaluate it on the CPU stream first (mlx.core.array(x, stream=mlx.core.cpu)).")
        view = host_view_of(x, name)
        return info_of_view(view, name, device=device, read_only=False)  # immutable says why

    def device_of(self, x: Any) -> Device:
        code, index = x.__dlpack_device__()
        return CPU if int(code) == 1 else Device.from_dlpack((int(code), int(index)))

    def host_view(self, x: Any) -> np.ndarray:
        return host_view_of(x, _name(x))

    def data_pointer(self, x: Any) -> int | None:
        if x.size == 0 or not self.device_of(x).is_host:
            return None
        return int(self.host_view(x).__array_interface__["data"][0])

    # -- target side: every import is a copy --------------------------------------------
    def would_copy(self, pointer: int) -> bool:
        return True

    def check_dtype(self, dtype: str) -> None:
        if dtype not in _DTYPES:
            raise UnsupportedDtypeError(
                f"MLX has no {dtype} dtype; it would narrow or refuse it. Convert to a dtype "
                f"MLX holds first ({', '.join(sorted(_DTYPES))}).")

    def from_dlpack(self, producer: Any) -> Any:
        capsule = producer.__dlpack__()
        info = read_capsule(capsule)
        if info.device[0] != 1:
            return self._checked(mx.from_dlpack(CapsuleProducer(capsule, info.device)),
                                 info.dtype)
        return self.from_numpy(host_view_of(CapsuleProducer(capsule, info.device), info.dtype))

    def from_numpy(self, array: np.ndarray) -> Any:
        name = numpy_name(array.dtype)
        if min(array.strides, default=0) < 0:  # MLX refuses them even when it copies
            array = np.array(array, order="C")
        if not array.dtype.isnative or array.dtype.name != name:  # byte order, ml_dtypes
            raw = array.view(array.dtype.newbyteorder("=")) if array.dtype.isnative else \
                array.astype(array.dtype.newbyteorder("="))
            wide = raw.view(same_width_uint(name))
            return self._checked(mx.array(wide).view(_DTYPES[name]), name)
        return self._checked(mx.array(array, dtype=_DTYPES[name]), name)

    def copy_from_numpy(self, view: np.ndarray) -> Any:
        return self.from_numpy(view)  # mx.array copies: one copy

    def _checked(self, result: Any, name: str) -> Any:
        if _NAMES.get(result.dtype) != name:
            raise InteropError(f"MLX turned {name} into {result.dtype} on import; refused "
                               "rather than return narrowed values.")
        return result
