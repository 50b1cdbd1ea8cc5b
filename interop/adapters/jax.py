"""JAX: immutable arrays, legacy-only DLPack, compact layouts only, optional 64-bit.

JAX narrows 64-bit inputs silently unless ``JAX_ENABLE_X64`` is set, so such
conversions are refused instead.  It aliases host memory only when it is
64-byte aligned, so sharing NumPy memory is attempted, never promised.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._adapter import Adapter, ArrayInfo, FastRoute, RouteFallback
from .._devices import CPU, Device
from .._dlpack import CapsuleProducer
from .._dtypes import EXTENDED, WIDE, numpy_name
from .._errors import InteropError, UnsupportedDeviceError, UnsupportedDtypeError
from .._plan import c_strides, is_compact

__all__ = ["JaxAdapter"]


_NARROWED = frozenset(np.dtype(n) for n in WIDE)


def _from_numpy_fast(x: Any) -> Any:
    """NumPy -> JAX for writable, C-contiguous, JAX-representable arrays (aliases if aligned)."""
    flags = x.flags
    if not (flags.writeable and flags.c_contiguous) or (
            x.dtype in _NARROWED and not jax.config.jax_enable_x64):
        raise RouteFallback
    return jax.dlpack.from_dlpack(x)


def _from_torch_fast(x: Any) -> Any:
    """CPU torch -> JAX through torch's C exporter, for plain tensors only."""
    size = x.element_size()
    wide = size == 16 or (size == 8 and not x.is_complex())
    if x.requires_grad or x.is_neg() or x.is_conj() or x.is_cuda or (
            wide and not jax.config.jax_enable_x64):
        raise RouteFallback
    import torch

    return jax.dlpack.from_dlpack(CapsuleProducer(torch.utils.dlpack.to_dlpack(x), (1, 0)))


class JaxAdapter(Adapter):
    name = "jax"
    module = "jax"
    target_modules = ("jax", "jax.numpy")
    install_hint = "pip install 'jax[cpu]'"
    holds_read_only = True  # JAX arrays are immutable
    compact_only = True
    dlpack_versioned = False
    may_copy_on_import = True

    @property
    def cpu_only(self) -> bool:
        """True when every JAX device is a CPU: then every JAX array is host memory."""
        return all(d.platform == "cpu" for d in jax.devices())

    def owns(self, tp: type) -> bool:
        return issubclass(tp, jax.Array)

    def namespace(self) -> Any:
        return jnp

    def describe(self, x: Any) -> ArrayInfo:
        dtype = np.dtype(x.dtype)
        shape = tuple(x.shape)
        return ArrayInfo(dtype=numpy_name(dtype), shape=shape,
                         strides=c_strides(shape, dtype.itemsize), itemsize=dtype.itemsize,
                         device=self.device_of(x))

    def device_of(self, x: Any) -> Device:
        devices = x.devices()
        if len(devices) != 1:
            raise InteropError(
                f"This JAX array is sharded over {len(devices)} devices; interop converts "
                "single-device arrays. Gather it first, e.g. jax.device_get(x)."
            )
        (d,) = devices
        return CPU if d.platform == "cpu" else Device("cuda" if d.platform == "gpu" else d.platform,
                                                      d.id)

    def host_view(self, x: Any) -> np.ndarray:
        return np.asarray(x)

    def fast_to(self, target: Adapter) -> FastRoute | None:
        # np.asarray gives a read-only view of JAX's buffer, but copies device arrays: host only
        return np.asarray if target.name == "numpy" and self.cpu_only else None

    def fast_from(self, source: Adapter) -> FastRoute | None:
        if not self.cpu_only:
            return None
        return {"numpy": _from_numpy_fast, "torch": _from_torch_fast}.get(source.name)

    def check_dtype(self, dtype: str) -> None:
        if dtype in WIDE and not jax.config.jax_enable_x64:
            raise UnsupportedDtypeError(
                f"JAX would silently narrow {dtype} to 32 bits because 64-bit mode is off. "
                "Enable it (JAX_ENABLE_X64=1, or jax.config.update('jax_enable_x64', True)) "
                "or convert to a 32-bit dtype first."
            )

    def check_device(self, device: Device) -> Device:
        if device.kind == "cpu":
            return CPU
        platform = "gpu" if device.kind in ("cuda", "rocm") else device.kind
        try:
            found = jax.devices(platform)
        except RuntimeError:
            found = []
        index = 0 if device.index is None else device.index
        if index < len(found):
            return Device(device.kind, index)
        raise UnsupportedDeviceError(
            f"JAX has no {device} device here (it sees {', '.join(map(str, jax.devices()))}). "
            "Use device='cpu' or install a GPU build of jax."
        )

    def from_dlpack(self, producer: Any) -> Any:
        return jax.dlpack.from_dlpack(producer)

    def from_numpy(self, array: np.ndarray) -> Any:
        exportable = array.dtype.name not in EXTENDED and array.flags.writeable
        if exportable and is_compact(array.shape, array.strides, array.itemsize):
            return jax.dlpack.from_dlpack(array)  # aliases when 64-byte aligned
        return jax.device_put(array)

    def copy_from_numpy(self, view: np.ndarray) -> Any:
        if not view.dtype.isnative:  # JAX refuses non-native byte order: swap while copying
            return self.from_numpy(view.astype(view.dtype.newbyteorder("=")))
        return jnp.array(view, copy=True)

    def from_host(self, view: np.ndarray, device: Device, stream: Any) -> Any:
        target = jax.devices("gpu")[device.index or 0]
        return jax.device_put(np.ascontiguousarray(view), target)

    def to_host(self, x: Any, stream: Any) -> np.ndarray:
        return np.array(jax.device_get(x))

    def device_clone(self, x: Any) -> Any:
        return jnp.array(x, copy=True)

    def data_pointer(self, x: Any) -> int | None:
        return int(x.unsafe_buffer_pointer())
