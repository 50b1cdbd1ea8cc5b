"""JAX's DLPack import of host memory, without ``jax.dlpack.from_dlpack``'s Python around it.

For a CPU producer, ``jax.dlpack.from_dlpack`` (jax 0.4.3x-0.10) asks the CPU device for
a stream to wait on (a query that raises ``UNIMPLEMENTED`` on every call, ~10 us), calls
jaxlib's ``dlpack_managed_tensor_to_buffer`` (~3 us) and then ``jnp.asarray`` of the
result (~9 us), which returns its argument unless the dtype is one JAX narrows with 64-bit
mode off.  ``import_cpu`` makes the same jaxlib call and narrows exactly those dtypes, so
its results are JAX's own, at a quarter of the cost.

The jaxlib call is private: ``cpu_importer`` probes it once (its signature, that the CPU
device still has no stream, and that its result equals ``from_dlpack``'s on an aligned
array: type, dtype, shape, sharding, committed, the very buffer) and returns None on any
difference, so that another JAX falls back to the public call.
"""

from __future__ import annotations

import ctypes
import functools
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._dlpack import CapsuleProducer, retype_capsule
from .._dtypes import DLPACK_CODES, numpy_dtype

__all__ = ["ALIGNMENT", "aligned_empty", "cpu_importer", "import_cpu", "import_retyped",
           "imports_retyped"]

#: XLA's CPU client aliases host memory that starts on this boundary and copies the rest.
ALIGNMENT = 64

#: The dtypes ``from_dlpack`` passes through ``jnp.asarray`` to narrow (x64 off).
_WIDE = frozenset(np.dtype(n) for n in ("int64", "uint64", "float64", "complex128"))

Importer = Callable[[object], Any]


def aligned_empty(shape: tuple[int, ...], dtype: np.dtype[Any]) -> np.ndarray:
    """An uninitialised C-ordered array whose data starts on a 64-byte boundary.

    Built for speed (it precedes every copy into JAX): ``math.prod`` where ``np.prod``
    costs 2 us, and the address through ctypes' buffer view (0.4 us, ``.ctypes.data`` 0.8).
    """
    nbytes = math.prod(shape) * dtype.itemsize
    raw = np.empty(nbytes + ALIGNMENT, dtype=np.uint8)
    start = -ctypes.addressof(ctypes.c_char.from_buffer(raw.data)) % ALIGNMENT
    out = raw[start:start + nbytes].view(dtype)
    return out if out.shape == shape else out.reshape(shape)


@functools.cache
def cpu_importer() -> Importer | None:
    """jaxlib's ``capsule -> jax.Array`` for the CPU device, or None where it differs."""
    try:
        from jax._src.lib import _jax, jaxlib_extension_version

        to_buffer = _jax.dlpack_managed_tensor_to_buffer
        cpu = jax.devices("cpu")[0]
        if not _streamless(cpu, _jax.JaxRuntimeError):
            return None
        if jaxlib_extension_version >= 467:  # the signature from_dlpack itself chooses
            def importer(capsule: object) -> Any:
                return to_buffer(capsule, cpu, None, None, 1)  # 1: kDLCPU
        else:
            def importer(capsule: object) -> Any:
                return to_buffer(capsule, cpu, None, None)
        return importer if _same_as_public(importer) else None
    except Exception:  # noqa: BLE001 - any other jaxlib: the public call serves
        return None


def _streamless(cpu: Any, error: type[Exception]) -> bool:
    """Whether the CPU device still has no stream (from_dlpack then passes stream=None)."""
    try:
        cpu.get_stream_for_external_ready_events()
    except error as err:
        return "UNIMPLEMENTED" in str(err)
    return False


def _same_as_public(importer: Importer) -> bool:
    probe = aligned_empty((2, 4), np.dtype(np.float32))
    probe[...] = np.arange(8, dtype=np.float32).reshape(2, 4)
    got, want = importer(probe.__dlpack__(stream=None)), jax.dlpack.from_dlpack(probe)
    facts = ("dtype", "shape", "sharding", "weak_type", "_committed")
    return (type(got) is type(want)
            and all(getattr(got, f) == getattr(want, f) for f in facts)
            and got.unsafe_buffer_pointer() == want.unsafe_buffer_pointer() == probe.ctypes.data
            and np.array_equal(np.asarray(got), probe))


def import_cpu(importer: Importer, capsule: object) -> Any:
    """``from_dlpack``'s result for a host capsule: the buffer, narrowed as JAX narrows it."""
    array = importer(capsule)
    if array.dtype in _WIDE:  # jnp.asarray returns it as it is when 64-bit mode is on
        return jnp.asarray(array, dtype=jax.dtypes.canonicalize_dtype(array.dtype))
    return array


def import_retyped(array: np.ndarray, name: str) -> Any:
    """An ml_dtypes array (bfloat16, float8) into JAX through DLPack, without a copy.

    NumPy cannot export these types, so it exports the same-width unsigned view and the
    capsule, which interop owns until JAX consumes it, is relabelled with the real type
    (``retype_capsule``): JAX then aliases the memory where it is 64-byte aligned, as for
    any other type.
    """
    capsule = retype_capsule(array.view(f"u{array.itemsize}").__dlpack__(stream=None), name)
    importer = cpu_importer()
    if importer is None:
        return jax.dlpack.from_dlpack(CapsuleProducer(capsule, (1, 0)))
    return import_cpu(importer, capsule)


@functools.cache
def imports_retyped(name: str) -> bool:
    """Whether JAX takes ``name`` through a relabelled capsule, exactly (probed once).

    True when the result has the type, the bits and the very buffer of an aligned probe;
    sub-byte types (packed or padded) and anything this JAX refuses stay with copies.
    """
    try:
        dtype = numpy_dtype(name)
        if DLPACK_CODES[name][1] != 8 * dtype.itemsize:
            return False
        raw = np.dtype(f"u{dtype.itemsize}")
        probe = aligned_empty((8,), dtype)
        probe.view(raw)[...] = np.arange(1, 9, dtype=raw)
        got = import_retyped(probe, name)
        return bool(got.dtype == dtype and got.unsafe_buffer_pointer() == probe.ctypes.data
                    and np.array_equal(np.asarray(got).view(raw), probe.view(raw)))
    except Exception:  # noqa: BLE001 - this JAX cannot: the copy serves
        return False
