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

Both Dask array packages are served: ``dask.array`` and the separate ``dask-array``
(``dask_array``), which keeps its own ``concatenate_lookup`` and chunk-type list.  A
worker learns ``dask_array``'s once a ``dask_array`` conversion was built (its plugin
imports it there).  How torch chunks travel is ``interop._dask_serialize``'s.
"""

from __future__ import annotations

import sys
import threading
import weakref
from typing import Any

__all__ = ["prepare_client", "register_local", "settle"]

_lock = threading.Lock()
#: The Dask array packages whose dispatch already knows interop's chunk types.
_registered: set[str] = set()
_serializing = False
#: The plugin names each client already has (one round trip per client and package).
_prepared: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
PLUGIN_NAME = "interop-dask"
#: Each package's dispatch modules: (concatenate_lookup's, register_chunk_type's).
PACKAGES = {"dask.array": ("dask.array.dispatch", "dask.array.chunk_types"),
            "dask_array": ("dask_array._dispatch", "dask_array._chunk_types")}


def register_local() -> None:
    """Teach this process's Dask (and distributed) interop's chunk types; idempotent."""
    for package in ("dask.array", "dask_array"):
        if package not in _registered and (package == "dask.array" or package in sys.modules):
            with _lock:
                if package not in _registered:
                    _register_package(package)
                    _registered.add(package)
    if not _serializing and "distributed" in sys.modules:
        _register_serializers()


def _register_package(package: str) -> None:
    """Lazy concatenate registrations in ``package``'s dispatch (now, if already loaded)."""
    import importlib

    lookup = importlib.import_module(PACKAGES[package][0]).concatenate_lookup
    lookup.register_lazy("torch", lambda: _register_torch(package))
    for top in ("jax", "jaxlib"):
        lookup.register_lazy(top, lambda: _register_jax(package))
    if "torch" in sys.modules:
        _register_torch(package)
    if "jax" in sys.modules:
        _register_jax(package)


def _register_serializers() -> None:
    """interop's torch serializers, now if torch is loaded, else the first time it is met."""
    global _serializing
    with _lock:
        if _serializing:
            return
        from distributed.protocol.serialize import dask_deserialize, dask_serialize

        from ._dask_serialize import cuda_dispatch, register_torch_serializers

        if "torch" in sys.modules:
            register_torch_serializers()
        else:  # replaces distributed's own lazy hook, which ours calls first
            for dispatch in (dask_serialize, dask_deserialize, *(cuda_dispatch() or ())):
                dispatch.register_lazy("torch", register_torch_serializers)
        _serializing = True


def _dispatch_of(package: str) -> tuple[Any, Any]:
    """``package``'s ``concatenate_lookup`` and ``register_chunk_type``."""
    import importlib

    lookup_module, types_module = PACKAGES[package]
    return (importlib.import_module(lookup_module).concatenate_lookup,
            importlib.import_module(types_module).register_chunk_type)


def _register_torch(package: str) -> None:
    import torch

    concatenate_lookup, register_chunk_type = _dispatch_of(package)
    register_chunk_type(torch.Tensor)
    concatenate_lookup.register(torch.Tensor, _concatenate_torch)


def _concatenate_torch(seq: Any, axis: int = 0) -> Any:
    import torch

    return torch.cat(list(seq), dim=axis)


def _register_jax(package: str) -> None:
    import jax

    concatenate_lookup, register_chunk_type = _dispatch_of(package)
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


# -- the client: a worker plugin, once per client and package -----------------------------
def prepare_client(package: str = "dask.array") -> None:
    """Give the current distributed client's workers interop's registrations (once).

    ``package`` is the Dask array package of the conversion being built; a worker
    imports ``dask_array`` (to register in its dispatch) only once one was used.  A
    synchronous client waits for the plugin; an asynchronous one cannot be waited for
    inside ``interop.to``, so its registration is started on the client's event loop.
    """
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
    name = PLUGIN_NAME if package == "dask.array" else f"{PLUGIN_NAME}-{package}"
    done = _prepared.setdefault(client, set())
    if name in done:
        return
    from ._dask_plugin import InteropWorkerPlugin

    plugin = InteropWorkerPlugin(() if package == "dask.array" else (package,))
    done.add(name)
    if getattr(client, "asynchronous", False):
        client.loop.add_callback(_register_async, client, plugin, name)
    else:
        client.register_plugin(plugin, name=name)


async def _register_async(client: Any, plugin: Any, name: str) -> None:
    """The plugin, registered from the event loop of an asynchronous client."""
    try:
        await client.register_plugin(plugin, name=name)
    except Exception:  # noqa: BLE001 - a closed client: the next conversion tries again
        _prepared.get(client, set()).discard(name)


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
