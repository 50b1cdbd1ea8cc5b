"""Where arrays can live here, and each framework's own ways to make, read and convert them.

Arrays are built and read back with the frameworks' native calls, never with
interop, so that the command line checks interop against the frameworks.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from typing import Any

import numpy as np

from . import _arrays_more as more

__all__ = ["ENDPOINTS", "Endpoint", "all_endpoints", "available", "make", "native_calls",
           "pairs", "read"]

Call = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A framework on a device: ``torch`` (host) or ``torch:cuda``; ``python`` is a list."""

    name: str
    device: str = "cpu"

    @property
    def id(self) -> str:
        return self.name if self.device == "cpu" else f"{self.name}:{self.device}"

    @property
    def gpu(self) -> bool:
        return self.device != "cpu"


ENDPOINTS = (Endpoint("python"), Endpoint("numpy"), Endpoint("torch"), Endpoint("jax"),
             Endpoint("array_api_strict"), *(Endpoint(name) for name in more.NAMES),
             Endpoint("torch", "cuda"), Endpoint("cupy", "cuda"), Endpoint("jax", "cuda"))


@cache
def plugin_names() -> list[str]:
    """Frameworks of installed ``interop.adapters`` plugins, by entry-point name (not loaded:
    loading one imports its framework, and some frameworks must not meet in one process)."""
    known = {e.name for e in ENDPOINTS}
    return sorted({ep.name for ep in entry_points(group="interop.adapters")} - known)


def all_endpoints() -> list[Endpoint]:
    """The built-in endpoints, then one host endpoint per installed plugin framework."""
    return [*ENDPOINTS, *(Endpoint(name) for name in plugin_names())]


def _module(name: str) -> Any:
    return importlib.import_module(name)


@cache
def usable(endpoint: Endpoint) -> bool:
    """True when the framework imports and, for a GPU endpoint, sees a device."""
    if endpoint.name == "python":
        return True
    try:
        mod = _module(endpoint.name)
    except ImportError:
        return False
    if not endpoint.gpu:
        return True
    try:
        if endpoint.name == "torch":
            return bool(mod.cuda.is_available())
        if endpoint.name == "cupy":
            return bool(mod.cuda.runtime.getDeviceCount())
        return bool(mod.devices("gpu"))
    except Exception:  # noqa: BLE001 - no driver, no device, no plugin: not usable
        return False


def available(only: list[str] | None = None, skip: frozenset[str] = frozenset()) \
        -> list[Endpoint]:
    """The usable endpoints, limited to the names in ``only`` when given; the names in
    ``skip`` are not even imported."""
    return [e for e in all_endpoints()
            if (only is None or e.name in only) and e.name not in skip and usable(e)]


def pairs(endpoints: list[Endpoint]) -> list[tuple[Endpoint, Endpoint]]:
    """Source x target pairs: every host pair; GPU endpoints with each other and numpy."""
    found = []
    for src in endpoints:
        for dst in endpoints:
            if dst.name == "python":
                continue
            if (src.gpu or dst.gpu) and not (src.gpu and dst.gpu) \
                    and "numpy" not in (src.name, dst.name):
                continue
            found.append((src, dst))
    return found


def make(endpoint: Endpoint, ref: np.ndarray) -> Any:
    """``ref``'s values as a native, compact array of ``endpoint`` (never shares ``ref``)."""
    if endpoint.name == "python":
        return ref.tolist()
    if endpoint.name == "numpy":
        return ref.copy()
    if endpoint.name in more.NAMES:
        return more.make(endpoint.name, ref)
    mod = _module(endpoint.name)
    if endpoint.name == "torch":
        tensor = _torch_from_numpy(ref.copy())
        return tensor.to(endpoint.device) if endpoint.gpu else tensor
    if endpoint.name == "jax":
        jax = mod
        array = jax.numpy.array(ref)
        kind = "gpu" if endpoint.gpu else "cpu"
        return jax.device_put(array, jax.devices(kind)[0])
    if endpoint.name == "cupy":
        return mod.asarray(ref)
    return mod.asarray(ref.copy())  # array_api_strict


def _torch_from_numpy(a: np.ndarray) -> Any:
    torch = _module("torch")
    if a.dtype.kind == "V" or a.dtype.name.startswith(("bfloat16", "float8")):
        raw = torch.from_numpy(a.view(f"uint{a.itemsize * 8}"))
        return raw.view(getattr(torch, a.dtype.name))
    return torch.from_numpy(a)


def read(x: Any) -> np.ndarray:
    """A NumPy copy of ``x``'s values, by its framework's own means."""
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, list | tuple | int | float | complex | bool):
        return np.array(x)
    top = type(x).__module__.partition(".")[0]
    if top == "torch":
        t = x.detach().resolve_conj().resolve_neg().cpu().contiguous()
        name = str(t.dtype).removeprefix("torch.")
        if name.startswith(("bfloat16", "float8")):
            import ml_dtypes

            raw = t.view(getattr(_module("torch"), f"uint{t.element_size() * 8}")).numpy()
            wide: np.ndarray = raw.view(getattr(ml_dtypes, name)).copy()
            return wide
        return np.array(t.numpy())
    if top == "cupy":
        host: np.ndarray = np.asarray(x.get())
        return host
    if top in ("jax", "jaxlib"):
        return np.array(x)
    if (framework := more.owner(x)) is not None:
        return more.read(framework, x)
    return np.array(np.from_dlpack(x))  # array_api_strict and other DLPack producers


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal shape, dtype and bytes (NaN payloads and signed zeros included)."""
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def native_calls(src: Endpoint, dst: Endpoint) -> dict[str, Call]:
    """The frameworks' own calls that convert ``src`` arrays to ``dst`` arrays."""
    if src.name == "python":
        return _from_python(dst)
    if src.gpu or dst.gpu:
        return _gpu_calls(src, dst)
    np_calls: dict[str, Call] = {"np.asarray": np.asarray, "np.from_dlpack": np.from_dlpack}
    if dst.name in more.NAMES:
        return more.native_to(dst.name, src.name)
    if dst.name == "numpy" and src.name in more.NAMES:
        return more.native_from(src.name)
    if dst.name == "numpy":
        if src.name == "torch":
            return {"Tensor.numpy()": lambda t: t.numpy(), **np_calls}
        return {"np.asarray": np.asarray} if src.name == "numpy" else np_calls
    mod = _module(dst.name)
    if dst.name == "torch":
        calls: dict[str, Call] = {"torch.from_dlpack": mod.from_dlpack}
        if src.name != "jax":  # torch.asarray reads JAX's buffer protocol: a flat result
            calls["torch.asarray"] = mod.asarray
        if src.name == "numpy":
            calls = {"torch.from_numpy": mod.from_numpy, **calls}
        return calls
    if dst.name == "jax":
        jnp = _module("jax.numpy")
        return {"jnp.from_dlpack": jnp.from_dlpack, "jnp.asarray": jnp.asarray}
    return {"xp.from_dlpack": mod.from_dlpack, "xp.asarray": mod.asarray}


def _from_python(dst: Endpoint) -> dict[str, Call]:
    if dst.name == "numpy":
        return {"np.array": np.array}
    if dst.name == "torch":
        torch = _module("torch")
        if dst.gpu:
            return {"torch.tensor(device=)": lambda x: torch.tensor(x, device=dst.device)}
        return {"torch.tensor": torch.tensor}
    if dst.name == "jax":
        return {"jnp.array": _module("jax.numpy").array}
    if dst.name in more.NAMES:
        return more.native_to(dst.name, "python")
    return {"xp.asarray": _module(dst.name).asarray}


def _gpu_calls(src: Endpoint, dst: Endpoint) -> dict[str, Call]:
    if dst.name == "numpy":
        if src.name == "torch":
            return {"Tensor.cpu().numpy()": lambda t: t.cpu().numpy()}
        if src.name == "cupy":
            return {"cupy.ndarray.get()": lambda x: x.get()}
        return {"np.asarray": np.asarray}
    if src.name == "numpy":
        mod = _module(dst.name)
        if dst.name == "torch":
            return {"torch.asarray(device=)": lambda a: mod.asarray(a, device=dst.device)}
        if dst.name == "cupy":
            return {"cupy.asarray": mod.asarray}
        gpu = mod.devices("gpu")[0]
        return {"jax.device_put": lambda a: mod.device_put(a, gpu)}
    if dst.name == "jax":
        return {"jnp.from_dlpack": _module("jax.numpy").from_dlpack}
    return {f"{dst.name}.from_dlpack": _module(dst.name).from_dlpack}


def synchronizer(src: Endpoint, dst: Endpoint) -> Callable[[Any], None]:
    """Waits for a result to be complete (JAX, GPU work), for honest timings."""
    if dst.name == "jax":  # JAX dispatches asynchronously, on the host too
        return lambda result: result.block_until_ready()
    if not (src.gpu or dst.gpu):
        return lambda result: None
    if dst.name == "cupy":
        cupy = _module("cupy")
        return lambda result: cupy.cuda.get_current_stream().synchronize()
    if dst.name == "torch" or src.name == "torch":
        torch = _module("torch")
        return lambda result: torch.cuda.synchronize()
    return lambda result: None
