"""What Dask and distributed must know, in every process, about interop's chunk types.

Dask finds how to concatenate chunks (``concatenate_lookup``) by their type, and
distributed how to send them (``dask_serialize``), per process.  The final
concatenate of a ``compute`` runs on a *worker*, so registering in the client alone
fails there.  Three things make sure each process knows, with no call from the user:

* ``register_local()`` runs in the client when a conversion is built and in every
  conversion task, so any process that builds or converts chunks registers;
* ``prepare_client()`` gives the current distributed client a worker plugin
  (``interop._dask_plugin``) that runs ``register_local()`` on every worker, present
  and future, so a worker that only concatenates or receives chunks knows them too;
* the registrations are lazy (``Dispatch.register_lazy``): they import nothing and
  take effect the first time a torch or JAX chunk is met.

distributed's own torch serializer calls ``Tensor.numpy()``, which fails for
bfloat16, float8 and conj/neg-bit tensors (a compute then hangs).  interop's sends
those as their raw bytes, which interop reads back bit for bit; other tensors keep
distributed's format, which a worker without interop also reads.
"""

from __future__ import annotations

import sys
import threading
import weakref
from typing import Any

import numpy as np

__all__ = ["prepare_client", "register_local", "settle"]

_lock = threading.Lock()
_registered = False
_serializing = False
#: Clients that already have the worker plugin (one round trip per client).
_prepared: weakref.WeakSet[Any] = weakref.WeakSet()
PLUGIN_NAME = "interop-dask"


def register_local() -> None:
    """Teach this process's Dask (and distributed) interop's chunk types; idempotent."""
    global _registered
    if not _registered:
        with _lock:
            if not _registered:
                from dask.array.dispatch import concatenate_lookup

                concatenate_lookup.register_lazy("torch", _register_torch)
                for top in ("jax", "jaxlib"):
                    concatenate_lookup.register_lazy(top, _register_jax)
                if "torch" in sys.modules:
                    _register_torch()
                if "jax" in sys.modules:
                    _register_jax()
                _registered = True
    if not _serializing and "distributed" in sys.modules:
        _register_serializers()


def _register_serializers() -> None:
    """interop's torch serializer, now if torch is loaded, else the first time it is met."""
    global _serializing
    with _lock:
        if _serializing:
            return
        from distributed.protocol.serialize import dask_deserialize, dask_serialize

        if "torch" in sys.modules:
            _register_torch_serializer()
        else:  # replaces distributed's own lazy hook, which ours calls first
            dask_serialize.register_lazy("torch", _register_torch_serializer)
            dask_deserialize.register_lazy("torch", _register_torch_serializer)
        _serializing = True


def _register_torch() -> None:
    import torch
    from dask.array.chunk_types import register_chunk_type
    from dask.array.dispatch import concatenate_lookup

    register_chunk_type(torch.Tensor)
    concatenate_lookup.register(torch.Tensor, _concatenate_torch)


def _concatenate_torch(seq: Any, axis: int = 0) -> Any:
    import torch

    return torch.cat(list(seq), dim=axis)


def _register_jax() -> None:
    import jax
    from dask.array.chunk_types import register_chunk_type
    from dask.array.dispatch import concatenate_lookup

    register_chunk_type(jax.Array)
    concatenate_lookup.register(jax.Array, _concatenate_jax)
    for tp in _jax_array_types():
        register_chunk_type(tp)
        concatenate_lookup.register(tp, _concatenate_jax)


def _jax_array_types() -> list[type]:
    import jax.numpy as jnp

    return [type(jnp.zeros(0))]  # the concrete class (jaxlib's ArrayImpl) is not jax.Array


def _concatenate_jax(seq: Any, axis: int = 0) -> Any:
    import jax.numpy as jnp

    return jnp.concatenate(list(seq), axis=axis)


# -- distributed: the torch serializer ---------------------------------------------------
#: torch dtypes that ``Tensor.numpy()`` (distributed's own route) handles.
_NUMPY_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32",
                 "uint64", "float16", "float32", "float64", "complex64", "complex128")


def _register_torch_serializer() -> None:
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
        return _raw_dumps(t)

    def deserialize(header: dict[str, Any], frames: list[Any]) -> Any:
        if "interop" in header:
            return _raw_loads(header, frames)
        return their_loads(header, frames)

    serialize._interop = True  # type: ignore[attr-defined]
    dask_serialize.register(torch.Tensor, serialize)
    dask_deserialize.register(torch.Tensor, deserialize)


def _needs_raw(t: Any) -> bool:
    name = str(t.dtype).rpartition(".")[2]
    return name not in _NUMPY_DTYPES or bool(t.is_conj()) or bool(t.is_neg()) \
        or t.device.type != "cpu"


def _raw_dumps(t: Any) -> tuple[dict[str, Any], list[Any]]:
    """A tensor as its bytes (values resolved, host memory), read back by ``_raw_loads``."""
    import torch

    from ._convert import to_numpy

    grad = t.requires_grad
    values = t.detach().resolve_conj().resolve_neg().contiguous()
    raw = to_numpy(values.reshape(-1).view(torch.uint8))  # the host copy, for GPU chunks
    header = {"interop": 1, "dtype": str(t.dtype).rpartition(".")[2], "shape": list(t.shape),
              "device": str(t.device), "requires_grad": grad}
    return header, [raw.data if raw.size else b""]


def _raw_loads(header: dict[str, Any], frames: list[Any]) -> Any:
    import torch

    from ._convert import to

    dtype, device = getattr(torch, header["dtype"]), header["device"]
    if not len(frames[0]):
        t = torch.empty(header["shape"], dtype=dtype, device=device)
    else:
        data = np.frombuffer(frames[0], dtype=np.uint8)
        flat = to(data, "torch", device=None if device == "cpu" else device)  # copies if read-only
        t = flat.view(dtype).reshape(header["shape"])
    if header["requires_grad"]:
        t.requires_grad_(True)
    return t


# -- the client: a worker plugin, once per client -----------------------------------------
def prepare_client() -> None:
    """Give the current distributed client's workers interop's registrations (once)."""
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return
    try:
        distributed.get_worker()
        return  # inside a task: this worker registers itself in each conversion task
    except ValueError:
        pass
    try:
        client = distributed.get_client()
    except ValueError:
        return  # no client: the local scheduler runs in this process, which registered
    if client in _prepared or getattr(client, "asynchronous", False):
        return
    from ._dask_plugin import InteropWorkerPlugin

    client.register_plugin(InteropWorkerPlugin(), name=PLUGIN_NAME)
    _prepared.add(client)


# -- a task boundary is a synchronisation point -------------------------------------------
def settle(result: Any) -> None:
    """Wait for the GPU work that produced ``result`` (nothing to do on the host)."""
    from ._memory import device

    if device(result).is_host:
        return
    ready = getattr(result, "block_until_ready", None)  # JAX
    if ready is not None:
        ready()
        return
    module = type(result).__module__.partition(".")[0]
    if module == "torch":
        import torch

        torch.cuda.current_stream(result.device).synchronize()
    elif module == "cupy":
        import cupy

        cupy.cuda.get_current_stream().synchronize()
