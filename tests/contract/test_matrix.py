"""Source x target x dtype x layout x copy: exact values, exact dtype, the copy contract.

Sources are built with each framework's own calls (``backends.make`` plus native view
operations), results are read back natively (``backends.read``), so interop is checked
against the frameworks, never against itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided

import interop

from backends import (
    DTYPE_NAMES,
    EXTENDED_DTYPES,
    STRICT_DTYPES,
    WIDE_DTYPES,
    Backend,
    assert_exact,
    data_pointer,
    dtype_name,
    jax_x64_for,
    make,
    sample,
    set_jax_x64,
)


@pytest.fixture(autouse=True)
def _jax_x64(request: pytest.FixtureRequest) -> Iterator[None]:
    """64-bit dtypes can only be carried by JAX with x64 on (x64 off is tested below)."""
    names = [request.getfixturevalue(f).name for f in ("backend", "target")
             if f in request.fixturenames]
    with jax_x64_for(*names):
        yield


# -- layouts ------------------------------------------------------------------------------------
# Each layout: the shape of a compact base array, and how to view it in numpy / torch / jax /
# array_api_strict (None: that framework cannot express this layout).


def _strided(a: np.ndarray, shape: tuple[int, ...], strides: tuple[int, ...]) -> np.ndarray:
    """``as_strided`` that keeps ml_dtypes types (it goes through ``__array_interface__``)."""
    raw = a.view(f"u{a.itemsize}") if a.dtype.name in EXTENDED_DTYPES else a
    return as_strided(raw, shape=shape, strides=strides).view(a.dtype)


def _np_zero_stride(a: np.ndarray) -> np.ndarray:
    return _strided(a, (3, 4), (0, a.itemsize))  # writable zero strides


def _np_size1_odd(a: np.ndarray) -> np.ndarray:
    return _strided(a, (1, 4, 1), (101 * a.itemsize, a.itemsize, 7 * a.itemsize))


def _np_structured(a: np.ndarray) -> np.ndarray:
    rec = np.zeros(a.shape, dtype=[("x", a.dtype), ("pad", "u1")])
    rec["x"] = a
    return rec["x"]  # stride itemsize + 1: not a multiple of the item size


def _np_big_endian(a: np.ndarray) -> np.ndarray:
    if a.dtype.name in EXTENDED_DTYPES:
        pytest.skip("ml_dtypes types have no non-native byte order")
    return a.astype(a.dtype.newbyteorder(">" if np.little_endian else "<"))


def _strict_0d(x: Any) -> Any:
    import array_api_strict as xps

    return xps.reshape(x, ())


def _torch_size1_odd(t: Any) -> Any:
    import torch

    return torch.as_strided(t, (1, 4, 1), (101, 1, 7))


@dataclass(frozen=True)
class Layout:
    name: str
    shape: tuple[int, ...]
    numpy: Callable[[Any], Any] | None
    torch: Callable[[Any], Any] | None
    jax: Callable[[Any], Any] | None
    strict: Callable[[Any], Any] | None

    def build(self, backend: Backend, dtype: str) -> tuple[Any, np.ndarray]:
        """A source array of ``backend`` in this layout, and its expected values."""
        base = sample(dtype, self.shape, seed=len(self.name))
        assert self.numpy is not None
        expected = np.array(self.numpy(base.copy()), copy=True)
        if backend.name == "numpy":
            return self.numpy(base.copy()), expected
        key = {"array_api_strict": "strict"}.get(backend.name, backend.name)
        fn = getattr(self, key, None)
        if fn is None:
            pytest.skip(f"{backend.name} cannot express the {self.name!r} layout")
        return fn(make(backend, base)), expected


def _ident(x: Any) -> Any:
    return x


LAYOUTS = (
    Layout("contiguous", (3, 4), _ident, _ident, _ident, _ident),
    Layout("transposed", (4, 3), lambda a: a.T, lambda t: t.mT, lambda x: x.T, lambda x: x.mT),
    Layout("sliced_step", (6, 9), lambda a: a[1::2, ::3], lambda t: t[1::2, ::3],
           lambda x: x[1::2, ::3], lambda x: x[1::2, ::3]),
    Layout("negative_strides", (5, 6), lambda a: a[::-1, ::-2], None, None,
           lambda x: x[::-1, ::-2]),
    Layout("zero_strides", (4,), _np_zero_stride, lambda t: t.expand(3, 4), None, None),
    Layout("broadcast_readonly", (4,), lambda a: np.broadcast_to(a, (3, 4)),
           lambda t: t.broadcast_to((3, 4)), None, None),
    Layout("size1_odd_strides", (4,), _np_size1_odd, _torch_size1_odd, None, None),
    # backends.make gives at least 1-d arrays, hence the reshapes
    Layout("zero_d", (), _ident, lambda t: t.reshape(()), lambda x: x.reshape(()),
           _strict_0d),
    Layout("size_zero", (0, 3), _ident, _ident, _ident, _ident),
    Layout("33_dims", (2, *(1,) * 30, 2, 2), _ident, _ident, _ident, _ident),
    Layout("structured_field", (5,), _np_structured, None, None, None),
    Layout("big_endian", (3, 4), _np_big_endian, None, None, None),
)
LAYOUT_BY_NAME = {layout.name: layout for layout in LAYOUTS}


# -- what the copy contract promises --------------------------------------------------------------


def _source_memory(x: Any, source: Backend) -> tuple[tuple[int, ...], int, bool, bool, int]:
    """(byte strides, item size, read-only, byte-swapped, size) by the framework's own means."""
    if source.name == "numpy":
        return (x.strides, x.itemsize, not x.flags.writeable, not x.dtype.isnative, x.size)
    if source.name == "torch":
        size = x.element_size()
        return (tuple(s * size for s in x.stride()), size, False, False, x.numel())
    if source.name == "array_api_strict":
        view = np.from_dlpack(x)
        return (view.strides, view.itemsize, False, False, view.size)
    itemsize = np.dtype(x.dtype).itemsize  # jax: always compact C order
    strides, step = [], itemsize
    for n in reversed(x.shape):
        strides.append(step)
        step *= max(n, 1)
    return (tuple(reversed(strides)), itemsize, False, False, int(x.size))


def _compact(shape: tuple[int, ...], strides: tuple[int, ...], itemsize: int) -> bool:
    dims = sorted((s, n) for n, s in zip(shape, strides, strict=True) if n != 1)
    expected = itemsize
    for s, n in dims:
        if s != expected:
            return False
        expected *= n
    return True


def expected_sharing(x: Any, source: Backend, target: Backend) -> bool | None:
    """True: copy=None must share. False: it must copy. None: the contract leaves it open."""
    strides, itemsize, read_only, swapped, size = _source_memory(x, source)
    if size == 0:
        return None
    if source.gpu != target.gpu:  # a device change is always a copy (numpy/torch -> cupy...)
        return False
    if target.name == "numpy":
        return True
    # a size-1 dimension's stride addresses nothing: NumPy and torch ignore it (so do we)
    strides = tuple(s for s, n in zip(strides, x.shape, strict=True) if n != 1)
    shape = tuple(n for n in x.shape if n != 1)
    if swapped or any(s % itemsize for s in strides):
        return False
    if any(s < 0 for s in strides) and target.name != "array_api_strict":
        return False  # array_api_strict wraps NumPy, which represents them
    if (read_only or source.name == "jax") and target.name in ("torch", "cupy"):
        return False  # read-only travels: JAX arrays are immutable (known read-only)
    if target.name == "jax":
        if not _compact(shape, strides, itemsize):
            return False
        if source.name == "torch":  # JAX aliases only 64-byte aligned host memory
            return True if data_pointer(x) % 64 == 0 else None
        return None  # numpy -> jax: attempted, never promised
    return True


def check_contract(x: Any, result: Any, source: Backend, target: Backend,
                   copy: bool | None) -> None:
    shared = interop.shares_memory(x, result)
    _, _, _, _, size = _source_memory(x, source)
    if copy is True:
        assert result is not x
        assert not shared
        if size:
            assert data_pointer(result) != data_pointer(x)
        return
    if source == target:
        assert result is x
        return
    expected = expected_sharing(x, source, target)
    if expected is None:
        if copy is False and size:
            assert shared, "copy=False returned a result that does not share memory"
        return
    assert shared is expected, f"shares_memory={shared}, contract says {expected}"
    if size:
        assert (data_pointer(result) == data_pointer(x)) is expected
    if target.name == "numpy" and source.name == "jax":
        assert not result.flags.writeable, "jax -> numpy must give a read-only view"


def expected_error(dtype: str, target: Backend) -> type[Exception] | None:
    if target.name == "array_api_strict" and dtype not in STRICT_DTYPES:
        return interop.UnsupportedDtypeError
    return None


def source_supports(backend: Backend, dtype: str) -> None:
    if backend.name == "array_api_strict" and dtype not in STRICT_DTYPES:
        pytest.skip(f"array_api_strict has no {dtype}: no such source array can exist")
    if backend.name == "cupy" and dtype.startswith("float8"):
        pytest.skip("cupy has no float8")


def run_case(backend: Backend, target: Backend, dtype: str, layout: Layout,
             copy: bool | None) -> None:
    source_supports(backend, dtype)
    x, expected = layout.build(backend, dtype)
    assert dtype_name(x) == dtype, "the test built the wrong source dtype"
    error = expected_error(dtype, target)
    if error is not None:
        with pytest.raises(error, match=dtype):
            interop.to(x, target.name, copy=copy)
        return
    must_copy = copy is not True and backend != target \
        and expected_sharing(x, backend, target) is False
    if copy is False and must_copy:
        with pytest.raises(interop.CopyRequiredError):
            interop.to(x, target.name, copy=False)
        return
    if copy is False and expected_sharing(x, backend, target) is None:
        try:  # the contract leaves it open: share, or say that a copy is needed
            result = interop.to(x, target.name, copy=False)
        except interop.CopyRequiredError:
            return
    else:
        result = interop.to(x, target.name, copy=copy)
    assert_exact(result, expected, target)
    check_contract(x, result, backend, target, copy)
    # the source is untouched
    assert_exact(x, expected, backend)


# -- the matrix -----------------------------------------------------------------------------------

_SOME_DTYPES = ("bool", "uint16", "float32", "complex128", "bfloat16", "float8_e5m2")
_SOME_LAYOUTS = ("contiguous", "sliced_step", "negative_strides", "broadcast_readonly")


def _cases() -> list[Any]:
    cases = []
    for dtype in DTYPE_NAMES:
        for layout in LAYOUTS:
            for copy in (None, True, False):
                if copy is not None and dtype not in _SOME_DTYPES \
                        and layout.name not in _SOME_LAYOUTS:
                    continue
                cases.append(pytest.param(dtype, layout.name, copy,
                                          id=f"{dtype}-{layout.name}-copy={copy}"))
    return cases


@pytest.mark.parametrize(("dtype", "layout", "copy"), _cases())
def test_conversion(backend: Backend, target: Backend, dtype: str, layout: str,
                    copy: bool | None) -> None:
    run_case(backend, target, dtype, LAYOUT_BY_NAME[layout], copy)


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_module_target_same_as_name(backend: Backend, target: Backend, dtype: str) -> None:
    """Passing the module (numpy, torch, jax.numpy...) is the same as passing its name."""
    source_supports(backend, dtype)
    if expected_error(dtype, target) is not None:
        pytest.skip(f"{target.name} cannot hold {dtype} (checked in test_conversion)")
    import importlib

    module = importlib.import_module("jax.numpy" if target.name == "jax" else target.name)
    x, expected = LAYOUT_BY_NAME["contiguous"].build(backend, dtype)
    assert_exact(interop.to(x, module), expected, target)


# -- JAX without x64 ------------------------------------------------------------------------------


@pytest.fixture
def x64_off() -> Iterator[None]:
    pytest.importorskip("jax")
    previous = set_jax_x64(False)
    try:
        yield
    finally:
        set_jax_x64(previous)


@pytest.mark.parametrize("dtype", sorted(WIDE_DTYPES))
@pytest.mark.parametrize("copy", [None, True, False])
def test_jax_x64_disabled_refuses_wide(cpu_backend: Backend, dtype: str, copy: bool | None,
                                       x64_off: None) -> None:
    if cpu_backend.name == "jax":
        pytest.skip("a jax source cannot hold 64-bit values while x64 is off")
    x, _ = LAYOUT_BY_NAME["contiguous"].build(cpu_backend, dtype)
    with pytest.raises(interop.UnsupportedDtypeError, match="JAX_ENABLE_X64"):
        interop.to(x, "jax", copy=copy)
    with pytest.raises(interop.UnsupportedDtypeError, match="JAX_ENABLE_X64"):
        interop.explain(x, "jax")


@pytest.mark.parametrize("dtype", ["int32", "float32", "complex64", "bfloat16", "bool"])
def test_jax_x64_disabled_keeps_narrow(cpu_backend: Backend, dtype: str, x64_off: None) -> None:
    source_supports(cpu_backend, dtype)
    x, expected = LAYOUT_BY_NAME["contiguous"].build(cpu_backend, dtype)
    assert_exact(interop.to(x, "jax"), expected, Backend("jax"))


# -- explicit sharing promises (fresh, aligned buffers) -------------------------------------------


def test_numpy_torch_share_every_nonnegative_layout() -> None:
    torch = pytest.importorskip("torch")
    base = np.arange(60, dtype=np.float64)
    views = [base.reshape(6, 10), base.reshape(6, 10).T, base.reshape(6, 10)[1::2, ::3],
             _np_zero_stride(base), _np_size1_odd(base)]
    for view in views:
        t = interop.to(view, "torch")
        assert isinstance(t, torch.Tensor)
        assert t.data_ptr() == view.__array_interface__["data"][0]
        assert interop.shares_memory(view, t)
        back = interop.to(t, "numpy")
        assert back.__array_interface__["data"][0] == t.data_ptr()
        assert np.array_equal(back, view)


def test_torch_jax_share_both_ways() -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("jax")
    t = torch.arange(64, dtype=torch.float32).reshape(8, 8)  # torch aligns to 64 bytes
    j = interop.to(t, "jax")
    assert j.unsafe_buffer_pointer() == t.data_ptr()
    assert interop.shares_memory(t, j)
    back = interop.to(j, "torch")  # JAX arrays are immutable: torch gets a copy
    assert back.data_ptr() != j.unsafe_buffer_pointer()
    assert torch.equal(back, t)
    with pytest.raises(interop.CopyRequiredError, match="known read-only"):
        interop.to(j, "torch", copy=False)
    alias = interop.unsafe_alias(j, "torch")  # the one explicit way to alias it
    assert alias.data_ptr() == j.unsafe_buffer_pointer()


def test_jax_to_numpy_is_read_only_view() -> None:
    jnp = pytest.importorskip("jax.numpy")
    j = jnp.arange(12.0).reshape(3, 4)
    a = interop.to(j, "numpy")
    assert isinstance(a, np.ndarray)
    assert not a.flags.writeable
    assert a.__array_interface__["data"][0] == j.unsafe_buffer_pointer()
    with pytest.raises(ValueError):
        a[0, 0] = 1.0


def test_same_framework_returns_input(backend: Backend) -> None:
    x = make(backend, np.arange(6, dtype=np.int32).reshape(2, 3))
    assert interop.to(x, backend.name) is x
    assert interop.to(x, backend.name, copy=False) is x
    y = interop.to(x, backend.name, copy=True)
    assert y is not x
    assert not interop.shares_memory(x, y)
    assert data_pointer(y) != data_pointer(x)


def test_copy_true_result_is_independent() -> None:
    """Writing to a copy=True result never reaches the source (numpy <-> torch)."""
    pytest.importorskip("torch")
    a = np.arange(6, dtype=np.float32)
    t = interop.to(a, "torch", copy=True)
    t[0] = 100.0
    assert a[0] == 0.0
    b = interop.to(t, "numpy", copy=True)
    b[1] = -5.0
    assert float(t[1]) == 1.0
