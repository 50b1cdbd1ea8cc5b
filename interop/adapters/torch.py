"""PyTorch: tensors share memory with NumPy natively and with everything else via DLPack.

Two torch features make the raw memory differ from the values a user sees:
the conjugate bit and the negative bit.  torch refuses to export conj-bit
tensors but exports neg-bit tensors with the wrong sign, so both are reported
as value hazards and resolved by a copy before anything leaves torch.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import torch

from .._accel import speedups
from .._adapter import K_FROM_HUB, K_TO_HUB, NO_CONTEXT, Adapter, ArrayInfo, Native, RouteKind
from .._devices import CPU, Device
from .._dlpack import device_of
from .._dtypes import EXTENDED, SUB_BYTE, numpy_dtype, numpy_name, same_width_uint
from .._errors import InteropError, RouteFallback, UnsupportedDeviceError, UnsupportedDtypeError
from .._layout import c_strides, layout_bits, native_contiguous
from ._c_exchange import from_numpy_route, to_numpy_route, versioned_exporter

__all__ = ["TorchAdapter"]

_NAMES: dict[torch.dtype, str] = {
    torch.bool: "bool", torch.int8: "int8", torch.int16: "int16", torch.int32: "int32",
    torch.int64: "int64", torch.uint8: "uint8", torch.uint16: "uint16", torch.uint32: "uint32",
    torch.uint64: "uint64", torch.float16: "float16", torch.float32: "float32",
    torch.float64: "float64", torch.bfloat16: "bfloat16", torch.complex64: "complex64",
    torch.complex128: "complex128", torch.float8_e4m3fn: "float8_e4m3fn",
    torch.float8_e5m2: "float8_e5m2",
    **{getattr(torch, n): n for n in ("float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu")
       if hasattr(torch, n)},  # newer torch releases
}
_DTYPES = {name: dtype for dtype, name in _NAMES.items()}
#: NumPy dtypes (native order) that torch.from_numpy takes as they are.
_PLAIN = frozenset(np.dtype(name) for name in _NAMES.values() if name not in EXTENDED)
#: ``tensor -> dltensor_versioned`` through torch's DLPack C exchange table (torch 2.13+).
_EXPORT_VERSIONED = versioned_exporter(torch.Tensor)
_CPU_PAIR = (1, 0)


def _from_numpy_guarded(x: Any) -> Any:
    if not x.flags.writeable:  # torch would hand out a writable alias: plan a copy instead
        raise RouteFallback
    return torch.from_numpy(x)  # raises on negative strides, byte order, odd strides, dtypes


#: The same check in C when the extension is used.
_FROM_NUMPY: Native = (_from_numpy_guarded if speedups is None
                       else speedups.WritableGuard(torch.from_numpy, RouteFallback, np.ndarray))


@functools.cache
def _native_routes() -> tuple[Native, Native]:
    """(torch -> NumPy, NumPy -> torch) native entries, read once per process."""
    names = list(_NAMES.values())
    to_numpy: Native = torch.Tensor.numpy
    exact = (torch.Tensor, torch.nn.Parameter)  # no __torch_function__ of their own
    return (to_numpy_route(torch.Tensor, names, exact, to_numpy, lazy_bits=True) or to_numpy,
            from_numpy_route(torch.Tensor, names, _FROM_NUMPY) or _FROM_NUMPY)


class TorchAdapter(Adapter):
    name = "torch"
    target_modules = ("torch", "array_api_compat.torch")

    def owns(self, tp: type) -> bool:
        return issubclass(tp, torch.Tensor)

    def namespace(self) -> Any:
        return torch

    def describe(self, x: Any) -> ArrayInfo:
        _refuse_exotic(x)
        try:
            dtype = _NAMES[x.dtype]
        except KeyError:
            if str(x.dtype) == "torch.float4_e2m1fn_x2":
                raise UnsupportedDtypeError(
                    "torch.float4_e2m1fn_x2 packs two float4 values in each byte; NumPy "
                    "(ml_dtypes) and JAX hold float4_e2m1fn one value per byte, so nothing can "
                    "take it as it is. Unpack it first (view as uint8, split the nibbles)."
                ) from None
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
        # ``is_cpu`` is a flag; ``x.device`` builds a torch.device (and its type a str)
        return CPU if x.is_cpu else _device(x.device)

    def dlpack_producer(self, x: Any) -> Any:
        return x.detach() if x.requires_grad else x

    def host_view(self, x: Any) -> np.ndarray:
        t = x.detach().resolve_conj().resolve_neg()
        name = _NAMES.get(t.dtype)
        if name in EXTENDED:  # NumPy reads these only through ml_dtypes: bit-cast views
            wanted = numpy_dtype(name)
            raw: np.ndarray = t.view(_DTYPES[same_width_uint(name)]).numpy()
            return raw.view(wanted)
        view: np.ndarray = t.numpy()
        return view

    def route_key(self, x: Any) -> Any:
        """Everything ``describe`` reports that a plan reads, without building an ArrayInfo."""
        layout = 0 if x.is_contiguous() else layout_bits(
            tuple(x.shape), tuple(x.stride()), 1)
        return (x.dtype, x.device, x.layout, x.requires_grad, x.is_conj(), x.is_neg(), layout,
                x.numel() == 0, x._is_zerotensor())

    def native(self, kind: RouteKind, peer: Adapter) -> Native | None:
        """``Tensor.numpy`` and ``torch.from_numpy``: exact where they succeed.

        Where torch's type has the DLPack C exchange table (torch 2.13+) and the C
        extension is built, routes through that table (``_c_exchange``) do the same work
        below the cost of the Python-level calls, and refuse the same values up front.

        ``Tensor.numpy()`` refuses grad, conj/neg-bit, non-CPU, sparse and quantized
        tensors and dtypes NumPy lacks, which are exactly the tensors whose plan differs
        from "share a host view"; ``torch.from_numpy`` (behind a writability check)
        refuses every NumPy array that torch cannot alias as it is.
        """
        if kind is K_TO_HUB and peer.host_hub:
            return _native_routes()[0]
        if kind is K_FROM_HUB and peer.host_hub:
            return _native_routes()[1]
        return None

    def check_dtype(self, dtype: str) -> None:
        if dtype in _DTYPES:
            return
        if dtype in SUB_BYTE:
            hint = ("torch holds float4 only packed in pairs (float4_e2m1fn_x2)"
                    if dtype == "float4_e2m1fn" else
                    "torch has no sub-byte formats that interop can exchange")
            raise UnsupportedDtypeError(
                f"torch has no {dtype} dtype ({hint}). Keep the data in NumPy (ml_dtypes) or "
                "JAX, or widen it there first, e.g. x.astype('float32') / x.astype('int8').")
        raise UnsupportedDtypeError(
            f"torch has no {dtype} dtype (this torch {torch.__version__} holds "
            f"{', '.join(sorted(n for n in _DTYPES if n.startswith('float8')))} among the "
            "8-bit floats). Convert it first where it lives, e.g. to float32.")

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
        array = _plain_unit_strides(array)
        name = numpy_name(array.dtype)
        if name in EXTENDED:
            raw = torch.from_numpy(array.view(same_width_uint(name)))
            return raw.view(_DTYPES[name])
        return torch.from_numpy(array)

    def copy_from_numpy(self, view: np.ndarray) -> Any:
        """NumPy copies (at its speed) into native C order; torch wraps the new buffer."""
        if view.dtype in _PLAIN:
            return torch.from_numpy(view.copy())
        return super().copy_from_numpy(view)

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
        host = self.from_numpy(native_contiguous(view))
        target = torch.device("cuda", device.index)
        with _stream_context(stream, target):
            return host.to(target)  # pageable source: the copy completes before returning

    def export_context(self, x: Any) -> Any:
        """torch exports a CUDA tensor only while its device is current."""
        return torch.cuda.device(x.device) if x.is_cuda else NO_CONTEXT

    def dlpack_device(self, producer: Any) -> tuple[int, int]:
        """A host tensor is ``(kDLCPU, 0)``; torch's ``__dlpack_device__`` is Python."""
        return _CPU_PAIR if producer.is_cpu else device_of(producer)

    def device_clone(self, x: Any) -> Any:
        return x.detach().resolve_conj().resolve_neg().clone(
            memory_format=torch.contiguous_format)

    def export(self, producer: Any, *, stream: int | None, versioned: bool) -> object:
        """Host tensors: torch's C exporter (legacy) or its exchange table (versioned), the
        capsules ``__dlpack__`` makes.

        (Plans resolve conj/neg bits and detach grads before a DLPack hand-off, so the
        exporter never sees a tensor whose raw memory differs from its values.)
        """
        if stream is None and producer.is_cpu:
            if not versioned:
                return torch.utils.dlpack.to_dlpack(producer)
            if _EXPORT_VERSIONED is not None and not (producer.is_neg() or producer.is_conj()):
                return _EXPORT_VERSIONED(producer)  # the same capsule, made in C
        return super().export(producer, stream=stream, versioned=versioned)

    def producer_stream(self, handle: int | None) -> int | None:
        if handle == 2:
            raise InteropError(
                "torch cannot export to CUDA's per-thread default stream (stream=2). Pass the "
                "consumer's stream object instead (e.g. cupy.cuda.get_current_stream()).")
        return handle

    def current_stream(self, device: Device) -> int | None:
        if device.kind != "cuda":
            return None
        return int(torch.cuda.current_stream(device.index).cuda_stream)

    def data_pointer(self, x: Any) -> int | None:
        return int(x.data_ptr())


def _plain_unit_strides(array: np.ndarray) -> np.ndarray:
    """The same view with any stride of a size-1 dimension replaced by the item size.

    Such a stride addresses nothing, so NumPy ignores it, but ``torch.from_numpy``
    refuses it when it is negative or not a multiple of the item size.
    """
    shape, strides, size = array.shape, array.strides, array.itemsize
    if array.flags.c_contiguous and array.size and min(strides, default=0) >= 0 and not any(
            s % size for s in strides):
        return array  # the common case, decided from flags (a C-ordered array has no odd stride)
    if array.size == 0:  # an empty array addresses nothing at all
        fixed = c_strides(shape, size)
    elif all(n != 1 or (s >= 0 and s % size == 0) for n, s in zip(shape, strides, strict=True)):
        return array
    else:
        fixed = tuple(size if n == 1 else s for n, s in zip(shape, strides, strict=True))
    # as_strided reads __array_interface__, which knows no ml_dtypes: restride raw bytes
    raw = array.view(f"u{size}") if size in (1, 2, 4, 8) else array
    out = np.lib.stride_tricks.as_strided(raw, strides=fixed, writeable=bool(array.flags.writeable))
    return out.view(array.dtype) if raw is not array else out


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
    if x._is_zerotensor():
        raise InteropError("This torch tensor is a ZeroTensor: it has no memory, so there is "
                           "nothing to share (its DLPack export would point at garbage). Call "
                           "torch.zeros_like(x) to materialise it first.")


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
