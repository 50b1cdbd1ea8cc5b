"""Test backends: which frameworks and devices exist here; native ways to build and read arrays.

Arrays are made and read back with each framework's own calls, never with
interop, so that a test checks interop against the frameworks, not itself.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Iterator
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
#: Test modules that need a GPU throughout: skipped whole (one line) where none is usable.
GPU_MODULES = frozenset({"test_gpu.py", "test_dask_gpu.py", "test_gradients_gpu.py"})


@cache
def missing_reason(backend: Backend) -> str | None:
    """Why ``backend`` cannot run here, or ``None`` when it can."""
    try:
        importlib.import_module(backend.name)
    except ModuleNotFoundError as exc:
        if exc.name == backend.name:
            return f"{backend.name} is not installed"
        return f"{backend.name} does not import: {exc}"
    except ImportError as exc:
        return f"{backend.name} does not import: {exc}"
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
    except RuntimeError:
        platforms = ", ".join(sorted({d.platform for d in jax.devices()}))
        return f"jax has no GPU backend (platforms: {platforms})"


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

        t = _torch_from(a)
        return t.to(backend.device) if backend.gpu else t
    if backend.name == "jax":
        import jax
        import jax.numpy as jnp

        where = jax.devices("gpu")[0] if backend.gpu else jax.devices("cpu")[0]
        return jax.device_put(jnp.asarray(a), where)  # never JAX's default device
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


# -- helpers shared by the conversion tests (added with the core test suite) -----------------

#: Every dtype interop promises to carry exactly, by canonical name.
DTYPE_NAMES = (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128",
    "bfloat16", "float8_e4m3fn", "float8_e5m2",
)
#: NumPy knows these only through ml_dtypes.
EXTENDED_DTYPES = frozenset({"bfloat16", "float8_e4m3fn", "float8_e5m2"})
#: JAX narrows these unless 64-bit mode is on.
WIDE_DTYPES = frozenset({"int64", "uint64", "float64", "complex128"})
#: array-api-strict implements exactly the array API dtypes.
STRICT_DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
                           "uint32", "uint64", "float32", "float64", "complex64",
                           "complex128"})


def np_dtype(name: str) -> np.dtype:
    """The NumPy dtype of a canonical name; skips the test when ml_dtypes is missing."""
    if name in EXTENDED_DTYPES:
        import pytest

        ml_dtypes = pytest.importorskip("ml_dtypes", reason=f"numpy needs ml_dtypes for {name}")
        return np.dtype(getattr(ml_dtypes, name))
    return np.dtype(name)


def sample(name: str, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Random *bit patterns* of dtype ``name`` (NaNs, infinities, subnormals included)."""
    dtype = np_dtype(name)
    rng = np.random.default_rng(seed)
    count = int(np.prod(shape, dtype=np.int64))
    if name == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    raw = rng.integers(0, 256, size=count * dtype.itemsize, dtype=np.uint8)
    return raw.view(dtype).reshape(shape)


def bits(a: np.ndarray) -> bytes:
    """The values of ``a`` as native-order, C-order bytes (NaN payloads included)."""
    a = np.asarray(a)
    if not a.dtype.isnative and a.dtype.kind != "V":
        a = a.astype(a.dtype.newbyteorder("="))
    return np.ascontiguousarray(a).tobytes()


def dtype_name(x: Any) -> str:
    """The canonical dtype name of a native array of any test framework."""
    mod = type(x).__module__.split(".")[0]
    if isinstance(x, np.ndarray):
        dt = x.dtype if x.dtype.isnative else x.dtype.newbyteorder("=")
        return dt.name
    if mod == "torch":
        return str(x.dtype).removeprefix("torch.")
    if mod in ("jax", "jaxlib"):
        return np.dtype(x.dtype).name
    if mod == "array_api_strict":
        return str(x.dtype).removeprefix("array_api_strict.")
    if mod == "cupy":
        return x.dtype.name
    raise TypeError(type(x))


def array_type(backend: Backend) -> type:
    """The array type ``interop.to(..., backend.name)`` must return."""
    if backend.name == "numpy":
        return np.ndarray
    if backend.name == "torch":
        import torch

        return torch.Tensor
    if backend.name == "jax":
        import jax

        return jax.Array
    if backend.name == "array_api_strict":
        import array_api_strict as xps

        return type(xps.asarray(0))
    if backend.name == "cupy":
        import cupy

        return cupy.ndarray
    raise ValueError(backend)


def assert_exact(result: Any, expected: np.ndarray, target: Backend) -> None:
    """Type, dtype, shape and bit-exact values of a conversion result."""
    assert isinstance(result, array_type(target)), type(result)
    assert dtype_name(result) == dtype_name(expected), (dtype_name(result), expected.dtype)
    assert tuple(result.shape) == expected.shape
    assert bits(read(result)) == bits(expected)


@contextlib.contextmanager
def jax_x64_for(*names: str) -> Iterator[None]:
    """Turn JAX's 64-bit mode on while a test involving jax runs (64-bit dtypes need it)."""
    if "jax" not in names:
        yield
        return
    previous = set_jax_x64(True)
    try:
        yield
    finally:
        set_jax_x64(previous)


def set_jax_x64(enabled: bool) -> bool:
    """Switch JAX's 64-bit mode; returns the previous setting (False when jax is absent)."""
    try:
        import jax
    except ImportError:
        return False
    previous = bool(jax.config.jax_enable_x64)
    jax.config.update("jax_enable_x64", enabled)
    return previous
