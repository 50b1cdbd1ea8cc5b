"""JAX: immutable arrays, legacy-only DLPack, compact layouts only, optional 64-bit.

JAX narrows 64-bit inputs silently unless ``JAX_ENABLE_X64`` is set, so such
conversions are refused instead.  It aliases host memory only when it is
64-byte aligned, so sharing NumPy memory is attempted, never promised.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._accel import speedups
from .._adapter import Adapter, ArrayInfo, Native, RouteKind
from .._devices import CPU, Device
from .._dlpack import MAX_NDIM, CapsuleProducer, _read_header
from .._dtypes import EXTENDED, WIDE, known_numpy_dtypes, numpy_dtype, numpy_name
from .._errors import InteropError, RouteFallback, UnsupportedDeviceError, UnsupportedDtypeError
from .._layout import c_strides, is_compact, native_contiguous
from ._jax_import import (
    ALIGNMENT,
    aligned_empty,
    cpu_importer,
    import_cpu,
    import_retyped,
    imports_retyped,
)

__all__ = ["JaxAdapter"]


_KNOWN = known_numpy_dtypes()


def _host_view_checked(x: Any) -> np.ndarray:
    view = np.asarray(x)
    if view.dtype not in _KNOWN:  # a dtype the planner refuses: let it say so
        raise RouteFallback
    return view


#: The same check in C when the extension is used.
_HOST_VIEW: Native = (_host_view_checked if speedups is None else
                   speedups.DtypeGuard(np.asarray, _KNOWN, RouteFallback, np.ndarray))


@functools.cache
def _holds(name: str) -> bool:
    """Whether this JAX can store ``name`` arrays (a one-element probe, once per name)."""
    try:
        jax.device_put(np.zeros(1, dtype=numpy_dtype(name)), _cpu())
    except Exception:  # noqa: BLE001 - XLA refuses the type: JAX cannot hold it
        return False
    return True


def _cpu() -> Any:
    return jax.devices("cpu")[0]


#: From this size on, copying into aligned memory with NumPy and handing that to JAX beats
#: letting XLA copy what it cannot alias (measured: docs/performance.md, "Host copies").
_OWN_COPY_BYTES = 1 << 17


def _import_host(array: np.ndarray) -> Any:
    """``jax.dlpack.from_dlpack(array)`` for a writable compact array, without its wrapper."""
    importer = cpu_importer()
    if importer is None:
        return jax.dlpack.from_dlpack(array)
    return import_cpu(importer, array.__dlpack__(stream=None))


def _xla_would_copy(array: np.ndarray, compact: bool) -> bool:
    """JAX copies host memory it cannot alias; large copies are NumPy's to make (faster).

    The address is read only for large arrays: reading it costs about 1 us in NumPy 2.
    """
    if array.nbytes < _OWN_COPY_BYTES:
        return False
    return not compact or array.ctypes.data % ALIGNMENT != 0


#: (DLPack type code, bits) of the types NumPy imports: bool, (u)int8-64, float16-64, complex.
_NUMPY_TYPES = frozenset({(6, 8), *((c, b) for c in (0, 1) for b in (8, 16, 32, 64)),
                          (2, 16), (2, 32), (2, 64), (5, 64), (5, 128)})


def _xla_would_copy_capsule(capsule: object) -> bool:
    """The capsule test of ``_xla_would_copy``: a large, unaligned legacy host capsule.

    Its header is read in C (well under 1 us), without consuming it; types NumPy cannot
    import (bfloat16, float8) go to JAX as they are, and so does anything not legacy.
    """
    try:
        header = _read_header(capsule, "dltensor", False, MAX_NDIM)
    except ValueError:  # another name: versioned, or consumed (JAX will say so)
        return False
    code, bits, lanes, shape, data = header[5], header[6], header[7], header[10], header[12]
    return (bool(data % ALIGNMENT) and shape is not None and lanes == 1
            and (code, bits) in _NUMPY_TYPES
            and math.prod(shape) * bits // 8 >= _OWN_COPY_BYTES)


class JaxAdapter(Adapter):
    name = "jax"
    target_modules = ("jax", "jax.numpy")
    immutable = True  # JAX may alias read-only host memory and never expects a write
    consumer_names_stream = True  # jax.dlpack.from_dlpack passes the stream it reads on
    holds_read_only = True  # JAX arrays are immutable
    compact_only = True
    dlpack_versioned = False
    may_copy_on_import = True

    @functools.cached_property
    def cpu_only(self) -> bool:
        """True when every JAX device is a CPU: then every JAX array is host memory.

        Read once: JAX's backends are fixed when it first initialises them, and this is
        consulted on the ``copy=False`` path of every import.
        """
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

    def native(self, kind: RouteKind, peer: Adapter) -> Native | None:
        """``np.asarray`` shares a read-only view of a host JAX array (CPU-only JAX).

        Behind the dtype table's check: ``numpy_name`` refuses exactly the dtypes that
        ``describe`` refuses, so the native call and the planner accept the same values.
        """
        if kind is RouteKind.SHARE_TO_HUB and peer.host_hub and self.cpu_only:
            return _HOST_VIEW
        return None

    def route_key(self, x: Any) -> Any:
        """dtype and placement: JAX arrays are always compact, never flagged read-only."""
        return (x.dtype, x.sharding, x.size == 0)

    def current_stream(self, device: Device) -> int | None:
        """The stream XLA reads external buffers on (XLA streams ignore the legacy stream)."""
        if device.is_host:
            return None
        found = jax.devices("gpu")[device.index or 0]
        ready = getattr(found, "get_stream_for_external_ready_events", None)
        return None if ready is None else int(ready())

    def copies_from_hub(self, dtype: str) -> str | None:
        if dtype in EXTENDED and not imports_retyped(dtype):
            return (f"NumPy cannot export {dtype} (an ml_dtypes type) through DLPack, so JAX "
                    "receives a copy")
        return None

    def producer_stream(self, handle: int | None) -> int | None:
        return None if handle == -1 else handle  # JAX's __dlpack__ knows no "no sync"

    def would_copy(self, pointer: int) -> bool:
        return self.cpu_only and pointer % 64 != 0  # XLA's CPU client aliases aligned memory

    def settings_key(self) -> Any:
        return jax.config.jax_enable_x64  # decides which dtypes JAX holds

    def check_dtype(self, dtype: str) -> None:
        if dtype in EXTENDED and not _holds(dtype):
            raise UnsupportedDtypeError(
                f"This JAX ({jax.__version__}) cannot hold {dtype} arrays (it names the type but "
                "XLA refuses to store it). Keep the data in NumPy (ml_dtypes), or widen it "
                "first, e.g. x.astype('float32').")
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
        info = getattr(producer, "info", None)
        if info is not None and info.null_deleter:
            # DLPack allows a NULL deleter; jaxlib aborts the process on one: copy instead
            return jax.device_put(np.array(np.from_dlpack(producer)), _cpu())
        importer = cpu_importer()
        where = getattr(producer, "__dlpack_device__", None)
        if importer is None or where is None or tuple(where()) != (1, 0):  # not kDLCPU
            return jax.dlpack.from_dlpack(producer)
        capsule = producer.__dlpack__(stream=None)  # as jax.dlpack.from_dlpack asks for it
        if _xla_would_copy_capsule(capsule):  # copy it once, with NumPy, as from_numpy does
            return self.copy_from_numpy(np.from_dlpack(CapsuleProducer(capsule, (1, 0))))
        return import_cpu(importer, capsule)

    def from_numpy(self, array: np.ndarray) -> Any:
        """Shares 64-byte aligned memory; anything JAX would copy is copied once, by NumPy."""
        compact = is_compact(array.shape, array.strides, array.itemsize)
        if _xla_would_copy(array, compact):
            return self.copy_from_numpy(array)
        if compact and array.flags.writeable:
            name = numpy_name(array.dtype)
            if name not in EXTENDED:
                return _import_host(array)  # aliases when 64-byte aligned
            if imports_retyped(name):
                return import_retyped(array, name)  # bfloat16, float8: aliases as well
        return jax.device_put(array, _cpu())  # host data stays on the host, even beside a GPU

    def copy_from_numpy(self, view: np.ndarray) -> Any:
        """One copy, into 64-byte aligned memory that JAX then aliases (no second copy)."""
        dtype = view.dtype.newbyteorder("=") if not view.dtype.isnative else view.dtype
        out = aligned_empty(view.shape, dtype)
        np.copyto(out, view, casting="no" if view.dtype.isnative else "equiv")
        name = numpy_name(dtype)
        if name in EXTENDED:  # NumPy cannot export these through DLPack as they are
            if imports_retyped(name):
                return import_retyped(out, name)
            return jax.device_put(out, _cpu())  # which aliases aligned memory too
        return _import_host(out)

    def from_host(self, view: np.ndarray, device: Device, stream: Any) -> Any:
        target = jax.devices("gpu")[device.index or 0]
        return jax.device_put(native_contiguous(view), target)

    def to_host(self, x: Any, stream: Any) -> np.ndarray:
        return np.array(jax.device_get(x))

    def device_clone(self, x: Any) -> Any:
        return jnp.array(x, copy=True)

    def data_pointer(self, x: Any) -> int | None:
        return int(x.unsafe_buffer_pointer())
