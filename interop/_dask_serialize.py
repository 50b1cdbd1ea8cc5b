"""How distributed sends torch chunks: bit for bit on the host, on the device where it can.

distributed picks a *serialization family* per connection: ``"dask"`` everywhere
(frames are host bytes: TCP and in-memory comms), ``"cuda"`` first on comms that move
device memory themselves (UCX, through ``distributed-ucxx``; they ask for
``("cuda", "dask", "pickle")`` and send every frame that has a
``__cuda_array_interface__`` GPU to GPU).  distributed registers no ``"cuda"``
serializer for torch, and its ``"dask"`` one calls ``Tensor.numpy()``, which fails
for bfloat16, float8 and conj/neg-bit tensors (a compute then hangs).  So interop
registers, for ``torch.Tensor``:

* ``"cuda"``: a CUDA tensor's own memory as one ``uint8`` CUDA frame (no host copy;
  a compacting copy, if any, stays on the device).  A host tensor, a subclass
  (``Parameter`` has its own serializer) or one carrying ``.grad`` is declined with
  ``NotImplementedError``, which makes distributed try the next family;
* ``"dask"``: tensors that ``Tensor.numpy()`` cannot handle, and CUDA tensors, as their
  raw bytes in host memory, read back bit for bit; other tensors keep distributed's
  format, which a worker without interop also reads.

A CUDA tensor is rebuilt on the *receiving* process's current CUDA device: a device
index means nothing in another process (dask-cuda gives each worker its own GPU as
device 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["register_torch_serializers"]

#: torch dtypes that ``Tensor.numpy()`` (distributed's own route) handles.
_NUMPY_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32",
                 "uint64", "float16", "float32", "float64", "complex64", "complex128")


def register_torch_serializers() -> None:
    """Register interop's ``"dask"`` and ``"cuda"`` serializers for ``torch.Tensor``."""
    import distributed.protocol.torch  # noqa: F401 - distributed's own first (Parameter...)
    import torch
    from distributed.protocol.serialize import dask_deserialize, dask_serialize

    theirs = dask_serialize.dispatch(torch.Tensor)
    their_loads = dask_deserialize.dispatch(torch.Tensor)
    if getattr(theirs, "_interop", False):
        return

    def serialize(t: Any) -> tuple[dict[str, Any], list[Any]]:
        if t.layout != torch.strided or not _needs_raw(t):
            header, frames = theirs(t)
            return header, frames
        return raw_dumps(t)

    def deserialize(header: dict[str, Any], frames: list[Any]) -> Any:
        if "interop" in header:
            return raw_loads(header, frames)
        return their_loads(header, frames)

    serialize._interop = True  # type: ignore[attr-defined]
    dask_serialize.register(torch.Tensor, serialize)
    dask_deserialize.register(torch.Tensor, deserialize)
    cuda = cuda_dispatch()
    if cuda is not None:
        cuda[0].register(torch.Tensor, cuda_dumps)
        cuda[1].register(torch.Tensor, cuda_loads)


def cuda_dispatch() -> tuple[Any, Any] | None:
    """distributed's ``"cuda"`` family (``cuda_serialize``, ``cuda_deserialize``), if it has one."""
    try:
        from distributed.protocol.cuda import cuda_deserialize, cuda_serialize
    except ImportError:  # a distributed without the family: CUDA tensors go as host bytes
        return None
    return cuda_serialize, cuda_deserialize


def _dtype_name(t: Any) -> str:
    return str(t.dtype).rpartition(".")[2]


def _needs_raw(t: Any) -> bool:
    return _dtype_name(t) not in _NUMPY_DTYPES or bool(t.is_conj()) or bool(t.is_neg()) \
        or t.device.type != "cpu"


def _flat_bytes(t: Any) -> Any:
    """``t``'s values (conj/neg resolved, compact) as a flat ``uint8`` tensor on its device."""
    import torch

    values = t.detach().resolve_conj().resolve_neg().contiguous()
    return values.reshape(-1).view(torch.uint8)


def _header(t: Any) -> dict[str, Any]:
    return {"interop": 1, "dtype": _dtype_name(t), "shape": list(t.shape),
            "device": t.device.type, "requires_grad": bool(t.requires_grad)}


def _rebuild(header: dict[str, Any], flat: Any) -> Any:
    """The tensor of ``header`` over ``flat`` (``uint8``, on its device), no copy."""
    import torch

    t = flat.view(getattr(torch, header["dtype"])).reshape(header["shape"])
    if header["requires_grad"]:
        t.requires_grad_(True)
    return t


# -- the "dask" family: host bytes ----------------------------------------------------------
def raw_dumps(t: Any) -> tuple[dict[str, Any], list[Any]]:
    """A tensor as its bytes in host memory (values resolved), read back by ``raw_loads``."""
    from ._convert import to_numpy

    raw = to_numpy(_flat_bytes(t))  # the host copy, for GPU chunks
    return _header(t), [raw.data if raw.size else b""]


def raw_loads(header: dict[str, Any], frames: list[Any]) -> Any:
    import torch

    from ._convert import to

    device = receiving_device(header["device"])
    if not len(frames[0]):
        flat = torch.empty(0, dtype=torch.uint8, device=device)
    else:
        data = np.frombuffer(frames[0], dtype=np.uint8)
        flat = to(data, "torch", device=None if device == "cpu" else device)  # copies if RO
    return _rebuild(header, flat)


def receiving_device(kind: str) -> str:
    """Where a tensor sent from a ``kind`` device lands here: this process's current GPU."""
    if kind == "cpu":
        return "cpu"
    import torch

    return f"cuda:{torch.cuda.current_device()}"


# -- the "cuda" family: device frames ------------------------------------------------------
def on_device(t: Any) -> bool:
    """Whether ``t``'s memory is CUDA memory, which a ``"cuda"`` comm sends GPU to GPU."""
    return bool(t.device.type == "cuda")


def cuda_dumps(t: Any) -> tuple[dict[str, Any], list[Any]]:
    """A CUDA tensor as one ``uint8`` CUDA frame over its own memory; others are declined."""
    import torch

    if type(t) is not torch.Tensor or t.layout != torch.strided or not on_device(t) \
            or t.grad is not None:
        raise NotImplementedError(
            f"interop sends only plain strided CUDA tensors without .grad in the 'cuda' "
            f"family; this {type(t).__name__} ({t.device.type}, {t.layout}) goes to the next "
            "family ('dask': host bytes)")
    flat = _flat_bytes(t)
    synchronize(flat)  # the comm reads the frame outside this stream's order
    return _header(t), [flat]


def cuda_loads(header: dict[str, Any], frames: list[Any]) -> Any:
    """A tensor over the received device frame (a tensor, CuPy/Numba array or RMM buffer)."""
    import torch

    from ._convert import to

    (frame,) = frames
    if isinstance(frame, torch.Tensor):
        flat = frame
    elif _nbytes(frame) == 0:  # an empty buffer may have a NULL pointer: nothing to import
        flat = torch.empty(0, dtype=torch.uint8, device=receiving_device("cuda"))
    else:
        flat = to(frame, "torch")  # DLPack or __cuda_array_interface__, no copy
    return _rebuild(header, flat.reshape(-1).view(torch.uint8))


def _nbytes(frame: Any) -> int:
    interface = getattr(frame, "__cuda_array_interface__", None)
    if interface is not None:
        return int(np.prod(interface["shape"])) * int(np.dtype(interface["typestr"]).itemsize)
    return int(getattr(frame, "nbytes", None) or len(frame))


def synchronize(t: Any) -> None:
    """Wait for the work queued on ``t``'s device by this stream (the frame is then final)."""
    import torch

    torch.cuda.current_stream(t.device).synchronize()
