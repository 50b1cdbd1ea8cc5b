"""CuPy: CUDA arrays.  Exchanged with GPU frameworks through DLPack on the same device.

CuPy imports on machines without a GPU but cannot allocate there, so every
device check probes the driver instead of trusting the import.
"""

from __future__ import annotations

from typing import Any

import cupy
import numpy as np

from .._adapter import Adapter, ArrayInfo
from .._devices import Device
from .._dtypes import numpy_name
from .._errors import UnsupportedDeviceError, UnsupportedDtypeError
from .._layout import native_contiguous

__all__ = ["CupyAdapter", "device_count"]


def _stream(stream: Any) -> Any:
    """A cupy stream for ``stream`` (``None`` keeps cupy's current stream)."""
    from .._streams import NO_SYNC, stream_handle

    if stream is None or stream is NO_SYNC:
        return None
    return cupy.cuda.ExternalStream(stream_handle(stream))


def device_count() -> int:
    """Number of usable CUDA devices; 0 where the driver or the GPU is missing."""
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # noqa: BLE001 - cupy raises its own runtime errors without a driver
        return 0


class CupyAdapter(Adapter):
    name = "cupy"
    target_modules = ("cupy", "array_api_compat.cupy")
    negative_strides = True

    def owns(self, tp: type) -> bool:
        return issubclass(tp, cupy.ndarray)

    def namespace(self) -> Any:
        return cupy

    def describe(self, x: Any) -> ArrayInfo:
        return ArrayInfo(dtype=numpy_name(x.dtype), shape=x.shape, strides=x.strides,
                         itemsize=x.itemsize, device=self.device_of(x))

    def device_of(self, x: Any) -> Device:
        return Device("cuda", int(x.device.id))

    def check_dtype(self, dtype: str) -> None:
        """CuPy has no float8 (and bfloat16 only through ml_dtypes): refuse before copying."""
        if dtype.startswith("float8"):
            raise UnsupportedDtypeError(f"CuPy has no {dtype} dtype; keep the data in torch "
                                        "or JAX, or view it as uint8 first.")

    def check_device(self, device: Device) -> Device:
        count = device_count()
        index = (int(cupy.cuda.runtime.getDevice()) if count and device.index is None
                 else device.index or 0)
        if device.kind == "cuda" and index < count:
            return Device("cuda", index)
        if device.kind == "cpu":
            raise UnsupportedDeviceError(
                "CuPy arrays live on a CUDA GPU; it cannot hold host memory. Convert to numpy "
                "for host data, or pass device='cuda'."
            )
        raise UnsupportedDeviceError(
            f"CuPy cannot use {device}: {count} usable CUDA device(s) here"
            f"{' (no driver or GPU was found)' if count == 0 else ''}."
        )

    def default_device(self) -> Device:
        return self.check_device(Device("cuda"))

    def from_dlpack(self, producer: Any) -> Any:
        return cupy.from_dlpack(producer)

    def export_context(self, x: Any) -> Any:
        return cupy.cuda.Device(x.device.id)

    def to_host(self, x: Any, stream: Any) -> np.ndarray:
        with cupy.cuda.Device(x.device.id):
            return np.asarray(x.get(stream=_stream(stream)))  # waits for that stream

    def from_host(self, view: np.ndarray, device: Device, stream: Any) -> Any:
        # cupy.from_dlpack refuses host memory: copy explicitly, on the requested stream
        host = native_contiguous(view)  # cupy takes native byte order only
        with cupy.cuda.Device(device.index or 0):
            out = cupy.empty(host.shape, dtype=host.dtype)
            out.set(host, stream=_stream(stream))
            return out

    def device_clone(self, x: Any) -> Any:
        return x.copy(order="C")

    def current_stream(self, device: Device) -> int | None:
        with cupy.cuda.Device(device.index or 0):
            return int(cupy.cuda.get_current_stream().ptr)  # 0: the default stream

    def data_pointer(self, x: Any) -> int | None:
        return int(x.data.ptr)
