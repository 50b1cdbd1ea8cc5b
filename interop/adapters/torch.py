"""PyTorch: tensors share memory with NumPy natively and with everything else via DLPack.

Two torch features make the raw memory differ from the values a user sees:
the conjugate bit and the negative bit.  torch refuses to export conj-bit
tensors but exports neg-bit tensors with the wrong sign, so both are reported
as value hazards and resolved by a copy before anything leaves torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .._adapter import Adapter, ArrayInfo, FastRoute, RouteFallback
from .._devices import CPU, Device
from .._dtypes import EXTENDED, numpy_dtype, same_width_uint
from .._errors import InteropError, UnsupportedDeviceError, UnsupportedDtypeError

__all__ = ["TorchAdapter"]

_NAMES: dict[torch.dtype, str] = {
    torch.bool: "bool", torch.int8: "int8", torch.int16: "int16", torch.int32: "int32",
    torch.int64: "int64", torch.uint8: "uint8", torch.uint16: "uint16", torch.uint32: "uint32",
    torch.uint64: "uint64", torch.float16: "float16", torch.float32: "float32",
    torch.float64: "float64", torch.bfloat16: "bfloat16", torch.complex64: "complex64",
    torch.complex128: "complex128", torch.float8_e4m3fn: "float8_e4m3fn",
    torch.float8_e5m2: "float8_e5m2",
}
_DTYPES = {name: dtype for dtype, name in _NAMES.items()}


def _from_numpy_fast(x: Any) -> Any:
    if not x.flags.writeable:  # torch would hand out a writable alias: plan a copy instead
        raise RouteFallback
    return torch.from_numpy(x)  # raises on negative strides, byte order, odd strides


try:  # the same check in C, when the extension is built
    from .._speedups import WritableGuard

    _FROM_NUMPY_FAST: FastRoute = WritableGuard(torch.from_numpy)
except ImportError:
    _FROM_NUMPY_FAST = _from_numpy_fast


def _copy_from_numpy(x: Any) -> Any:
    """NumPy -> torch, copy=True: NumPy copies (at its speed) into native C order."""
    dtype = x.dtype
    if dtype.isnative:
        return torch.from_numpy(x.copy())  # raises for dtypes torch lacks (ml_dtypes...)
    if dtype.name in EXTENDED:
        raise RouteFallback
    return torch.from_numpy(x.astype(dtype.newbyteorder("=")))


def _copy_to_numpy(x: Any) -> Any:
    """torch -> NumPy, copy=True (Tensor.numpy refuses grad, lazy bits, CUDA, bfloat16)."""
    return x.numpy().copy()


def _from_jax_fast(x: Any) -> Any:
    return torch.utils.dlpack.from_dlpack(x.__dlpack__(stream=None))


class TorchAdapter(Adapter):
    name = "torch"
    module = "torch"
    target_modules = ("torch", "array_api_compat.torch")
    install_hint = "pip install torch"

    def owns(self, tp: type) -> bool:
        return issubclass(tp, torch.Tensor)

    def namespace(self) -> Any:
        return torch

    def describe(self, x: Any) -> ArrayInfo:
        _refuse_exotic(x)
        try:
            dtype = _NAMES[x.dtype]
        except KeyError:
            raise UnsupportedDtypeError(
                f"torch dtype {x.dtype} has no exact equivalent in other frameworks; convert "
                "it first, e.g. x.to(torch.float32)."
            ) from None
        size = x.element_size()
        hazards = []
        if x.is_conj():
            hazards.append("the tensor has torch's conjugate bit set (lazy conj()), so its "
                           "memory holds unconjugated values")
        if x.is_neg():
            hazards.append("the tensor has torch's negative bit set (a view such as "
                           "c.conj().imag), so its memory holds the values with the wrong sign")
        return ArrayInfo(
            dtype=dtype, shape=tuple(x.shape), strides=tuple(s * size for s in x.stride()),
            itemsize=size, device=self.device_of(x), value_hazards=tuple(hazards),
            requires_grad=x.requires_grad,
        )

    def device_of(self, x: Any) -> Device:
        return _device(x.device)

    def dlpack_producer(self, x: Any) -> Any:
        return x.detach()

    def host_view(self, x: Any) -> np.ndarray:
        t = x.detach().resolve_conj().resolve_neg()
        name = _NAMES.get(t.dtype)
        if name in EXTENDED:  # NumPy reads these only through ml_dtypes: bit-cast views
            wanted = numpy_dtype(name)
            raw: np.ndarray = t.view(_DTYPES[same_width_uint(name)]).numpy()
            return raw.view(wanted)
        view: np.ndarray = t.numpy()
        return view

    def fast_to(self, target: Adapter) -> FastRoute | None:
        # Tensor.numpy raises for grad, conj/neg bits, CUDA and bfloat16: all planned instead
        return torch.Tensor.numpy if target.name == "numpy" else None

    def fast_from(self, source: Adapter) -> FastRoute | None:
        if source.name == "numpy":
            return _FROM_NUMPY_FAST
        if source.name == "jax" and getattr(source, "cpu_only", False):
            return _from_jax_fast
        return None

    def fast_copy_to(self, target: Adapter) -> FastRoute | None:
        return _copy_to_numpy if target.name == "numpy" else None

    def fast_copy_from(self, source: Adapter) -> FastRoute | None:
        return _copy_from_numpy if source.name == "numpy" else None

    def check_dtype(self, dtype: str) -> None:
        if dtype not in _DTYPES:
            raise UnsupportedDtypeError(f"torch has no {dtype} dtype.")

    def check_device(self, device: Device) -> Device:
        if device.kind == "cpu":
            return CPU
        if device.kind == "cuda" and torch.cuda.is_available():
            index = torch.cuda.current_device() if device.index is None else device.index
            if index < torch.cuda.device_count():
                return Device("cuda", index)
        raise UnsupportedDeviceError(_no_device_message(device))

    def from_dlpack(self, producer: Any) -> Any:
        return torch.from_dlpack(producer)

    def from_numpy(self, array: np.ndarray) -> Any:
        name = array.dtype.name
        if name in EXTENDED:
            raw = torch.from_numpy(array.view(same_width_uint(name)))
            return raw.view(_DTYPES[name])
        return torch.from_numpy(array)

    def to_host(self, x: Any, stream: Any) -> np.ndarray:
        from .._pinned import torch_device_to_host

        t = x.detach().resolve_conj().resolve_neg()
        name = _NAMES[t.dtype]
        wanted = numpy_dtype(name)
        out = np.empty(tuple(t.shape), dtype=wanted)
        with torch.cuda.device(t.device), _stream_context(stream, t.device):
            torch_device_to_host(t.contiguous(), out)
        return out

    def from_host(self, view: np.ndarray, device: Device, stream: Any) -> Any:
        host = self.from_numpy(np.ascontiguousarray(view))
        target = torch.device("cuda", device.index)
        with _stream_context(stream, target):
            return host.to(target)  # pageable source: the copy completes before returning

    def export_context(self, x: Any) -> Any:
        """torch exports a CUDA tensor only while its device is current."""
        import contextlib

        return torch.cuda.device(x.device) if x.is_cuda else contextlib.nullcontext()

    def device_clone(self, x: Any) -> Any:
        return x.detach().resolve_conj().resolve_neg().clone(
            memory_format=torch.contiguous_format)

    def current_stream(self, device: Device) -> int | None:
        if device.kind != "cuda":
            return None
        return int(torch.cuda.current_stream(device.index).cuda_stream)

    def data_pointer(self, x: Any) -> int | None:
        return int(x.data_ptr())


def _stream_context(stream: Any, device: Any) -> Any:
    """Run the copy on the caller's stream when one was given, else on the current one."""
    import contextlib

    if stream is None:
        return contextlib.nullcontext()
    from .._streams import NO_SYNC, stream_handle

    if stream is NO_SYNC:
        return contextlib.nullcontext()
    return torch.cuda.stream(torch.cuda.ExternalStream(stream_handle(stream), device=device))


def _refuse_exotic(x: Any) -> None:
    if x.layout != torch.strided:
        raise InteropError(
            f"This torch tensor has layout {x.layout}; only dense (strided) tensors can be "
            "exchanged. Call x.to_dense() first."
        )
    if x.is_quantized:
        raise InteropError("Quantized torch tensors cannot be exchanged exactly; call "
                           "x.dequantize() or x.int_repr() first.")
    if x.device.type == "meta":
        raise InteropError("This torch tensor is on the 'meta' device and has no data to convert.")


def _device(d: torch.device) -> Device:
    if d.type == "cpu":
        return CPU
    return Device(d.type, d.index if d.index is not None else 0)


def _no_device_message(device: Device) -> str:
    if device.kind == "cuda" and not torch.cuda.is_available():
        return (f"torch cannot use {device}: this torch build sees no CUDA GPU "
                "(torch.cuda.is_available() is False). Use device='cpu'.")
    if device.kind == "cuda":
        return (f"torch cannot use {device}: only {torch.cuda.device_count()} CUDA device(s) "
                "exist here.")
    return f"torch cannot hold arrays on {device}; use 'cpu' or 'cuda:N'."
