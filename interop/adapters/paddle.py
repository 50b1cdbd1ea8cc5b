"""PaddlePaddle: mutable tensors with full DLPack (versioned capsules, strided views).

* Tensors are mutable, like torch: memory is shared both ways, and read-only sources
  (NumPy views, JAX, TF, MLX) are copied in, because ``paddle.from_dlpack`` hands out a
  writable alias even of read-only memory.
* ``stop_gradient=False`` tensors are detached without a copy (``Tensor.detach`` shares
  memory), as torch grads are.
* Paddle has no uint16 and reads a DLPack/NumPy ``uint16`` array as **bfloat16**, so
  uint16 is refused in planning, never reinterpreted.
* ``Place`` objects map to devices: CPU and CUDA-pinned places are host memory, GPU
  places ``cuda:N``; anything else (XPU, custom devices) is refused with a clear error.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import paddle

from .._adapter import Adapter, ArrayInfo, Native, RouteKind
from .._devices import CPU, Device
from .._errors import InteropError, RouteFallback, UnsupportedDeviceError, UnsupportedDtypeError
from .._layout import native_contiguous
from ._c_exchange import from_numpy_route, to_numpy_route
from ._views import canonical_name, host_view_of

__all__ = ["PaddleAdapter"]

_NAMES: dict[Any, str] = {
    paddle.bool: "bool", paddle.int8: "int8", paddle.int16: "int16", paddle.int32: "int32",
    paddle.int64: "int64", paddle.uint8: "uint8", paddle.float16: "float16",
    paddle.float32: "float32", paddle.float64: "float64", paddle.bfloat16: "bfloat16",
    paddle.complex64: "complex64", paddle.complex128: "complex128",
    paddle.float8_e4m3fn: "float8_e4m3fn", paddle.float8_e5m2: "float8_e5m2",
    paddle.uint32: "uint32", paddle.uint64: "uint64",
}
_DTYPES = {name: dtype for dtype, name in _NAMES.items()}


def _place(place: Any) -> Device:
    if place.is_cpu_place() or place.is_cuda_pinned_place():
        return CPU
    if place.is_gpu_place():
        return Device("cuda", int(place.gpu_device_id()))
    raise UnsupportedDeviceError(
        f"This Paddle tensor is on {place}; interop exchanges CPU and CUDA tensors only. "
        "Move it first, e.g. x.cpu().")


def _name(x: Any) -> str:
    return canonical_name(_NAMES, x.dtype, "Paddle", "convert it first, e.g. x.astype('float32').")


class _Exporter:
    """A Paddle tensor's DLPack export with a well-formed device pair.

    Paddle's ``__dlpack_device__`` answers ``(kDLCPU, None)`` for CPU tensors, which every
    consumer that reads the index as an integer (interop included) fails on.
    """

    __slots__ = ("_pair", "_tensor")

    def __init__(self, tensor: Any) -> None:
        self._tensor = tensor
        code, index = tensor.__dlpack_device__()
        self._pair = (int(code), int(index or 0))

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self._tensor.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._pair


def _no_native(x: Any) -> Any:
    """Types the exchange table does not serve (subclasses): the planner decides."""
    raise RouteFallback


@functools.cache
def _native_routes() -> tuple[Native | None, Native | None]:
    names = list(_NAMES.values())
    return (to_numpy_route(paddle.Tensor, names, (paddle.Tensor,), _no_native),
            from_numpy_route(paddle.Tensor, names, _no_native))


class PaddleAdapter(Adapter):
    name = "paddle"
    target_modules = ("paddle",)
    negative_strides = False  # paddle imports them, but its kernels do not promise to honour them

    def owns(self, tp: type) -> bool:
        return issubclass(tp, paddle.Tensor)

    def namespace(self) -> Any:
        return paddle

    def describe(self, x: Any) -> ArrayInfo:
        name = _name(x)
        size = x.element_size()
        shape = tuple(int(n) for n in x.shape)
        strides = tuple(int(s) * size for s in x.strides)
        return ArrayInfo(dtype=name, shape=shape, strides=strides, itemsize=size,
                         device=self.device_of(x), requires_grad=not x.stop_gradient)

    def device_of(self, x: Any) -> Device:
        return _place(x.place)

    def dlpack_producer(self, x: Any) -> Any:
        return _Exporter(x if x.stop_gradient else x.detach())

    def host_view(self, x: Any) -> np.ndarray:
        return host_view_of(self.dlpack_producer(x), _name(x))

    def _tensor(self, x: Any) -> Any:
        return x if x.stop_gradient else x.detach()

    def data_pointer(self, x: Any) -> int | None:
        return int(x.data_ptr())

    def native(self, kind: RouteKind, peer: Adapter) -> Native | None:
        """Paddle <-> NumPy through Paddle's DLPack C exchange table, where it is used.

        The routes take only what the plan shares as it is (host tensors, NumPy arrays
        that are writable, aligned, native-order and positively strided, dtypes both
        hold) and send every other value to the planner; without the C extension there
        is no native call and the keyed routes serve.
        """
        if not peer.host_hub:
            return None
        routes = _native_routes()
        if kind is RouteKind.SHARE_TO_HUB:
            return routes[0]
        if kind is RouteKind.SHARE_FROM_HUB:
            return routes[1]
        return None

    # -- target side ------------------------------------------------------------------
    def check_dtype(self, dtype: str) -> None:
        if dtype == "uint16":
            raise UnsupportedDtypeError(
                "Paddle has no uint16 dtype: it would read uint16 data as bfloat16. Convert "
                "to int32 (or view the bits as int16) first.")
        if dtype not in _DTYPES:
            raise UnsupportedDtypeError(f"Paddle has no {dtype} dtype.")

    def check_device(self, device: Device) -> Device:
        if device.kind == "cpu":
            return CPU
        count = paddle.device.cuda.device_count() if paddle.is_compiled_with_cuda() else 0
        index = 0 if device.index is None else device.index
        if device.kind == "cuda" and index < count:
            return Device("cuda", index)
        raise UnsupportedDeviceError(
            f"Paddle cannot use {device}: it sees {count} CUDA device(s). Use device='cpu' or "
            "install a GPU build of paddlepaddle.")

    def from_dlpack(self, producer: Any) -> Any:
        return paddle.from_dlpack(producer)

    def from_numpy(self, array: np.ndarray) -> Any:
        name = array.dtype.name
        if name in ("bfloat16", "float8_e4m3fn", "float8_e5m2"):
            # NumPy exports these only as same-width integers; paddle views the bits back
            raw = paddle.from_dlpack(array.view(np.int16 if name == "bfloat16" else np.uint8))
            return raw.view(_DTYPES[name])
        return paddle.from_dlpack(array)

    def copy_from_numpy(self, view: np.ndarray) -> Any:
        return self.from_numpy(np.array(view, dtype=view.dtype.newbyteorder("="), order="C"))

    def device_clone(self, x: Any) -> Any:
        return self._tensor(x).clone()

    def to_host(self, x: Any, stream: Any) -> np.ndarray:
        return np.array(self.host_view(self._tensor(x).cpu()))

    def from_host(self, view: np.ndarray, device: Device, stream: Any) -> Any:
        host = self.from_numpy(native_contiguous(view))
        return host.cuda(device.index or 0)

    def export_context(self, x: Any) -> Any:
        import contextlib

        if x.place.is_gpu_place():
            raise InteropError("Paddle GPU tensors are not yet tested with interop here.")
        return contextlib.nullcontext()
