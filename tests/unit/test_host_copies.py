"""Host copies make one buffer, and JAX takes it as it is.

Into JAX, interop copies with NumPy into 64-byte aligned memory and hands that buffer to
XLA, which aliases it: the result's buffer *is* the one interop allocated (no second copy
by XLA, which copies unaligned memory at a fraction of NumPy's speed).  Memory JAX would
copy anyway (unaligned, from 128 KiB) is copied that way too.  The JAX adapter imports
host capsules through jaxlib's own call, probed against ``jax.dlpack.from_dlpack``; the
results must equal the public call's in every observable fact.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import interop

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jax_adapter = pytest.importorskip("interop.adapters.jax")
jax_import = pytest.importorskip("interop.adapters._jax_import")

LARGE = 1 << 18  # bytes: above the size from which interop copies what JAX would copy


def _pointer(x: Any) -> int:
    if isinstance(x, np.ndarray):
        return int(x.ctypes.data)
    if isinstance(x, jax.Array):
        return int(x.unsafe_buffer_pointer())
    return int(x.data_ptr())  # torch


def _offset(nbytes: int, misalign: int, dtype: Any = np.float32) -> np.ndarray:
    """A writable array of ``nbytes`` starting ``misalign`` bytes past a 64-byte boundary."""
    dtype = np.dtype(dtype)
    raw = np.empty(nbytes + 128, dtype=np.uint8)
    start = (misalign - raw.ctypes.data) % 64
    out = raw[start:start + nbytes].view(dtype)
    out[...] = np.arange(out.size).astype(dtype)
    return out


@pytest.fixture
def allocations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[np.ndarray]]:
    """Every aligned buffer the JAX adapter allocates while the test runs."""
    made: list[np.ndarray] = []
    real = jax_adapter.aligned_empty

    def recording(shape: tuple[int, ...], dtype: np.dtype[Any]) -> np.ndarray:
        out = real(shape, dtype)
        made.append(out)
        return out

    monkeypatch.setattr(jax_adapter, "aligned_empty", recording)
    yield made


def _same_facts(got: Any, want: Any) -> None:
    assert type(got) is type(want)
    assert (got.dtype, got.shape, got.weak_type) == (want.dtype, want.shape, want.weak_type)
    assert got.sharding == want.sharding and got.committed == want.committed
    assert np.array_equal(np.asarray(got), np.asarray(want))


# -- one copy ---------------------------------------------------------------------------------

@pytest.mark.parametrize("nbytes", [4096, LARGE])
@pytest.mark.parametrize("misalign", [0, 16])
def test_numpy_to_jax_copy_true_is_the_one_buffer_interop_allocated(
        allocations: list[np.ndarray], nbytes: int, misalign: int) -> None:
    a = _offset(nbytes, misalign)
    out = interop.to(a, "jax", copy=True)
    (buffer,) = allocations  # one copy made, by interop
    assert _pointer(out) == _pointer(buffer)  # and XLA took it as it is: no second copy
    assert _pointer(out) % 64 == 0
    assert not interop.shares_memory(a, out)
    a[0] = -1.0  # the source stays writable and separate
    assert float(out[0]) == 0.0 and np.array_equal(np.asarray(out)[1:], a[1:])


def test_torch_to_jax_copy_true_is_one_copy(allocations: list[np.ndarray]) -> None:
    torch = pytest.importorskip("torch")
    t = torch.arange(LARGE // 4, dtype=torch.float32)
    out = interop.to(t, "jax", copy=True)
    (buffer,) = allocations
    assert _pointer(out) == _pointer(buffer) != t.data_ptr()
    assert np.array_equal(np.asarray(out), t.numpy())


def test_bfloat16_copy_into_jax_is_one_copy(allocations: list[np.ndarray]) -> None:
    ml_dtypes = pytest.importorskip("ml_dtypes")
    b = _offset(LARGE, 16, ml_dtypes.bfloat16)
    out = interop.to(b, "jax", copy=True)
    (buffer,) = allocations  # NumPy cannot export bfloat16: device_put aliases the copy
    assert _pointer(out) == _pointer(buffer) and out.dtype == jnp.bfloat16
    assert np.array_equal(np.asarray(out).view(np.uint16), b.view(np.uint16))


@pytest.mark.parametrize("read_only", [False, True])
def test_large_unaligned_memory_is_copied_once_by_numpy(allocations: list[np.ndarray],
                                                        read_only: bool) -> None:
    a = _offset(LARGE, 16)
    a.flags.writeable = not read_only
    out = interop.to(a, "jax")  # JAX cannot alias it: it would copy, at XLA's speed
    (buffer,) = allocations
    assert _pointer(out) == _pointer(buffer) and _pointer(out) % 64 == 0
    assert not interop.shares_memory(a, out)
    assert np.array_equal(np.asarray(out), a)


def test_small_unaligned_memory_is_left_to_jax(allocations: list[np.ndarray]) -> None:
    a = _offset(4096, 16)
    out = interop.to(a, "jax")  # below 128 KiB XLA's copy is the cheaper one
    assert allocations == [] and not interop.shares_memory(a, out)
    assert np.array_equal(np.asarray(out), a)


@pytest.mark.parametrize("nbytes", [4096, LARGE])
@pytest.mark.parametrize("read_only", [False, True])
def test_aligned_memory_is_shared_with_jax(allocations: list[np.ndarray], nbytes: int,
                                           read_only: bool) -> None:
    a = _offset(nbytes, 0)
    a.flags.writeable = not read_only
    out = interop.to(a, "jax")
    assert allocations == [] and _pointer(out) == _pointer(a)


def test_copy_false_still_refuses_what_jax_would_copy(allocations: list[np.ndarray]) -> None:
    a = _offset(LARGE, 16)
    with pytest.raises(interop.CopyRequiredError, match="64-byte aligned"):
        interop.to(a, "jax", copy=False)
    assert allocations == []
    aligned = _offset(LARGE, 0)
    assert _pointer(interop.to(aligned, "jax", copy=False)) == _pointer(aligned)


# -- the same results as JAX's public call ----------------------------------------------------

@pytest.mark.parametrize("dtype", ["bool", "int8", "uint16", "float16", "float32", "complex64"])
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3)])
def test_the_jaxlib_import_equals_from_dlpack(dtype: str, shape: tuple[int, ...]) -> None:
    importer = jax_import.cpu_importer()
    if importer is None:
        pytest.skip(f"jax {jax.__version__}: interop uses jax.dlpack.from_dlpack itself here")
    a = jax_import.aligned_empty(shape, np.dtype(dtype))
    a[...] = np.arange(a.size).reshape(shape).astype(dtype)
    got = jax_import.import_cpu(importer, a.__dlpack__(stream=None))
    want = jax.dlpack.from_dlpack(a)
    _same_facts(got, want)
    if a.size:
        assert _pointer(got) == _pointer(want) == _pointer(a)


@pytest.mark.parametrize("x64", [False, True])
def test_the_jaxlib_import_narrows_wide_dtypes_as_jax_does(x64: bool) -> None:
    importer = jax_import.cpu_importer()
    if importer is None:
        pytest.skip(f"jax {jax.__version__}: interop uses jax.dlpack.from_dlpack itself here")
    previous = bool(jax.config.jax_enable_x64)
    jax.config.update("jax_enable_x64", x64)
    try:
        a = np.arange(6, dtype=np.float64)
        got = jax_import.import_cpu(importer, a.__dlpack__(stream=None))
        _same_facts(got, jax.dlpack.from_dlpack(a))
        assert got.dtype == (np.float64 if x64 else np.float32)
    finally:
        jax.config.update("jax_enable_x64", previous)


def test_torch_capsules_into_jax_share_as_before() -> None:
    torch = pytest.importorskip("torch")
    t = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    out = interop.to(t, "jax")
    _same_facts(out, jnp.from_dlpack(t))
    assert _pointer(out) == t.data_ptr()
    capsule = torch.utils.dlpack.to_dlpack(t)
    assert _pointer(interop.to(capsule, "jax")) == t.data_ptr()


def test_without_the_private_call_the_public_one_serves(monkeypatch: pytest.MonkeyPatch,
                                                        allocations: list[np.ndarray]) -> None:
    from jax._src.lib import _jax

    with monkeypatch.context() as gone:  # a jaxlib without the call: the probe says no
        gone.delattr(_jax, "dlpack_managed_tensor_to_buffer")
        assert jax_import.cpu_importer.__wrapped__() is None
    monkeypatch.setattr(jax_adapter, "cpu_importer", lambda: None)
    a = _offset(LARGE, 16)
    out = interop.to(a, "jax", copy=True)
    (buffer,) = allocations
    assert _pointer(out) == _pointer(buffer)  # the public call aliases the aligned copy too
    assert np.array_equal(np.asarray(out), a)


def test_a_cpu_stream_sends_the_probe_to_the_public_call() -> None:
    class StreamedCpu:
        def get_stream_for_external_ready_events(self) -> int:
            return 7

    assert not jax_import._streamless(StreamedCpu(), RuntimeError)


# -- results unchanged across host targets ----------------------------------------------------

def _targets() -> list[str]:
    found = ["numpy", "jax"]
    for name in ("torch", "array_api_strict"):
        try:
            __import__(name)
        except ImportError:
            continue
        found.append(name)
    return found


@pytest.mark.parametrize("target", _targets())
@pytest.mark.parametrize("misalign", [0, 16])
def test_copy_true_into_each_host_target(target: str, misalign: int) -> None:
    a = _offset(LARGE, misalign).reshape(-1, 16)
    out = interop.to(a, target, copy=True)
    view = interop.to(out, "numpy")
    assert view.dtype == a.dtype and view.shape == a.shape and np.array_equal(view, a)
    assert not interop.shares_memory(a, out)
    assert str(interop.device(out)) == "cpu"
    if target in ("numpy", "torch"):  # a private buffer: writable, whatever the source was
        assert interop.to(out, "numpy").flags.writeable


@pytest.mark.parametrize("case", ["read-only", "negative strides", "byte-swapped"])
def test_copying_misses_into_torch_keep_values_and_flags(case: str) -> None:
    torch = pytest.importorskip("torch")
    base = np.arange(LARGE // 4, dtype=np.float32)
    if case == "read-only":
        a = base.copy()
        a.flags.writeable = False
    elif case == "negative strides":
        a = base[::-1]
    else:
        a = base.astype(">f4")
    out = interop.to(a, "torch")
    assert out.dtype == torch.float32 and out.is_contiguous()
    assert np.array_equal(out.numpy(), a) and not interop.shares_memory(a, out)
    out[0] = -1  # torch tensors are writable: the copy took no read-only memory with it


@pytest.mark.parametrize("dtype", ["float32", ">f4", "int16"])
def test_jax_to_numpy_copy_true_is_a_writable_copy(dtype: str) -> None:
    a = np.arange(LARGE // 4).astype(dtype)
    j = interop.to(a, "jax")
    out = interop.to(j, "numpy", copy=True)
    assert out.flags.writeable and out.dtype == np.dtype(dtype).newbyteorder("=")
    assert np.array_equal(out, a) and not interop.shares_memory(j, out)


@pytest.mark.parametrize("nbytes", [4096, LARGE, 1 << 25])  # NumPy, torch.flip, NumPy again
@pytest.mark.parametrize("flip", ["1d", "rows", "columns", "both"])
@pytest.mark.parametrize("read_only", [False, True])
def test_negative_strides_into_torch_are_exact_c_ordered_copies(nbytes: int, flip: str,
                                                                read_only: bool) -> None:
    torch = pytest.importorskip("torch")
    bits = np.arange(nbytes // 4, dtype=np.uint32) | np.uint32(0x7FC00000)  # NaN payloads
    base = bits.view(np.float32)
    base.flags.writeable = not read_only
    grid = base.reshape(-1, 64)
    a = {"1d": base[::-1], "rows": grid[::-1], "columns": grid[:, ::-1],
         "both": grid[::-1, ::-1]}[flip]
    out = interop.to(a, "torch")
    assert out.dtype == torch.float32 and out.is_contiguous() and tuple(out.shape) == a.shape
    assert np.array_equal(out.numpy().view(np.uint32), a.view(np.uint32))  # bit for bit
    assert not interop.shares_memory(a, out)
    out[0] = 1.0  # writable, and not the source's memory
    assert np.isnan(a.flat[0])


@pytest.mark.parametrize("nbytes", [4096, LARGE])
def test_unaligned_torch_memory_into_jax_is_copied_once(allocations: list[np.ndarray],
                                                        nbytes: int) -> None:
    torch = pytest.importorskip("torch")
    t = torch.arange(nbytes // 4 + 1, dtype=torch.float32)[1:]  # 4 bytes past torch's 64
    out = interop.to(t, "jax")
    assert np.array_equal(np.asarray(out), t.numpy()) and _pointer(out) != t.data_ptr()
    if nbytes >= LARGE:  # NumPy's copy, into memory JAX keeps
        (buffer,) = allocations
        assert _pointer(out) == _pointer(buffer)
    else:  # XLA's own copy is the cheaper one
        assert allocations == []


def test_unaligned_capsules_numpy_cannot_read_go_to_jax_as_they_are(
        allocations: list[np.ndarray]) -> None:
    torch = pytest.importorskip("torch")
    t = torch.arange(LARGE // 2 + 1, dtype=torch.bfloat16)[1:]
    out = interop.to(t, "jax")
    assert allocations == [] and out.dtype == jnp.bfloat16
    assert np.array_equal(np.asarray(out).view(np.uint16), t.view(torch.uint16).numpy())


def test_a_large_unaligned_raw_capsule_is_copied_once(allocations: list[np.ndarray]) -> None:
    a = _offset(LARGE, 16)
    out = interop.to(a.__dlpack__(stream=None), "jax")
    (buffer,) = allocations
    assert _pointer(out) == _pointer(buffer) and np.array_equal(np.asarray(out), a)


@pytest.mark.parametrize("name", ["bfloat16", "float8_e4m3fn", "float8_e5m2"])
def test_ml_dtypes_memory_is_shared_with_jax_through_a_relabelled_capsule(name: str) -> None:
    """NumPy cannot export these types; their same-width view's capsule, relabelled, can."""
    ml_dtypes = pytest.importorskip("ml_dtypes")
    if not jax_import.imports_retyped(name):
        pytest.skip(f"this JAX does not import {name} through DLPack")
    dtype = np.dtype(getattr(ml_dtypes, name))
    a = jax_import.aligned_empty((4, 8), dtype)
    a.view(f"u{dtype.itemsize}")[...] = np.arange(32, dtype=f"u{dtype.itemsize}").reshape(4, 8)
    plan = interop.explain(a, "jax")
    assert plan.zero_copy and not plan.copy_reasons
    for copy in (None, False):
        j = interop.to(a, "jax", copy=copy)
        assert j.dtype == dtype and j.shape == a.shape
        assert j.unsafe_buffer_pointer() == a.ctypes.data
        raw = f"u{dtype.itemsize}"
        assert np.array_equal(np.asarray(j).view(raw), a.view(raw))  # bit for bit
    copied = interop.to(a, "jax", copy=True)
    assert copied.unsafe_buffer_pointer() != a.ctypes.data
    assert np.array_equal(np.asarray(copied).view(f"u{dtype.itemsize}"),
                          a.view(f"u{dtype.itemsize}"))


def test_unaligned_bfloat16_still_arrives_exactly() -> None:
    ml_dtypes = pytest.importorskip("ml_dtypes")
    base = jax_import.aligned_empty((17,), np.dtype(ml_dtypes.bfloat16))
    base[...] = np.arange(17, dtype=np.float32).astype(ml_dtypes.bfloat16)
    a = base[1:]  # 2 bytes past the boundary: JAX copies what it cannot alias
    j = interop.to(a, "jax")
    assert np.array_equal(np.asarray(j).view(np.uint16), a.view(np.uint16))
    with pytest.raises(interop.CopyRequiredError):
        interop.to(a, "jax", copy=False)
