"""Test backends: which frameworks (and devices) exist here, and native ways to build and read arrays.

Arrays are made and read back with each framework's own calls, never with
interop, so that a test checks interop against the frameworks, not itself.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Backend:
    """One place arrays can live: a framework on a device (``torch:cuda``)."""

    name: str  # framework / interop target name
    device: str = "cpu"

    @property
    def id(self) -> str:
        return self.name if self.device == "cpu" else f"{self.name}:{self.device}"

    @property
    def gpu(self) -> bool:
        return self.device != "cpu"


CPU_BACKENDS = (Backend("numpy"), Backend("torch"), Backend("jax"), Backend("array_api_strict"))
GPU_BACKENDS = (Backend("cupy", "cuda"), Backend("torch", "cuda"), Backend("jax", "cuda"))
ALL_BACKENDS = CPU_BACKENDS + GPU_BACKENDS


@cache
def missing_reason(backend: Backend) -> str | None:
    """Why ``backend`` cannot run here, or ``None`` when it can."""
    try:
        importlib.import_module(backend.name)
    except ImportError as exc:
        return f"{backend.name} is not installed ({exc})"
    if not backend.gpu:
        return None
    if backend.name == "cupy":
        import cupy

        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:
            return f"cupy imports but no CUDA device is usable: {type(exc).__name__}: {exc}"
        return None if count else "cupy sees no CUDA device"
    if backend.name == "torch":
        import torch

        return None if torch.cuda.is_available() else "torch.cuda.is_available() is False"
    import jax

    try:
        return None if jax.devices("gpu") else "jax sees no GPU"
    except RuntimeError as exc:
        return f"jax has no GPU backend: {exc}"


def expected_backends() -> list[str]:
    """Frameworks CI promises are installed (``INTEROP_EXPECT_BACKENDS``)."""
    raw = os.environ.get("INTEROP_EXPECT_BACKENDS", "")
    return [name for name in raw.split(",") if name]


def make(backend: Backend, a: np.ndarray) -> Any:
    """Build ``a``'s values as a native, compact array of ``backend`` (a copy)."""
    a = np.ascontiguousarray(a)
    if backend.name == "numpy":
        return a.copy()
    if backend.name == "torch":
        import torch

        t = _torch_from(a)
        return t.to(backend.device) if backend.gpu else t
    if backend.name == "jax":
        import jax
        import jax.numpy as jnp

        arr = jnp.array(a)
        return jax.device_put(arr, jax.devices("gpu")[0]) if backend.gpu else arr
    if backend.name == "array_api_strict":
        import array_api_strict as xps

        return xps.asarray(a.copy())
    if backend.name == "cupy":
        import cupy

        return cupy.asarray(a)
    raise ValueError(backend)


def read(x: Any) -> np.ndarray:
    """A NumPy copy of any test array's values, by the framework's own means."""
    mod = type(x).__module__.split(".")[0]
    if isinstance(x, np.ndarray):
        return x.copy()
    if mod == "torch":
        t = x.detach().resolve_conj().resolve_neg().cpu()
        return _torch_to_numpy(t)
    if mod in ("jax", "jaxlib"):
        return np.array(x)
    if mod == "array_api_strict":
        return np.from_dlpack(x).copy()
    if mod == "cupy":
        return x.get()
    raise TypeError(type(x))


def _torch_from(a: np.ndarray) -> Any:
    import torch

    name = a.dtype.name
    if name in ("bfloat16", "float8_e4m3fn", "float8_e5m2"):
        raw = torch.from_numpy(a.view(f"uint{a.itemsize * 8}").copy())
        return raw.view(getattr(torch, name))
    return torch.from_numpy(a.copy())


def _torch_to_numpy(t: Any) -> np.ndarray:
    import torch

    name = str(t.dtype).removeprefix("torch.")
    if name in ("bfloat16", "float8_e4m3fn", "float8_e5m2"):
        import ml_dtypes

        width = t.element_size() * 8
        raw = t.contiguous().view(getattr(torch, f"uint{width}")).numpy()
        return raw.view(getattr(ml_dtypes, name)).copy()
    return t.contiguous().numpy().copy()


def data_pointer(x: Any) -> int:
    """Address of element 0, by the framework's own means."""
    mod = type(x).__module__.split(".")[0]
    if isinstance(x, np.ndarray):
        return int(x.__array_interface__["data"][0])
    if mod == "torch":
        return int(x.data_ptr())
    if mod in ("jax", "jaxlib"):
        return int(x.unsafe_buffer_pointer())
    if mod == "array_api_strict":
        return int(np.from_dlpack(x).__array_interface__["data"][0])
    if mod == "cupy":
        return int(x.data.ptr)
    raise TypeError(type(x))
