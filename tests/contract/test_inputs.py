"""Inputs that are not framework arrays: numpy scalars, Python values, buffers, __array__."""

from __future__ import annotations

import array

import numpy as np
import pytest

import interop

from backends import Backend, assert_exact, read, set_jax_x64
from doubles import ArrayOnly


@pytest.fixture(autouse=True)
def _x64(request: pytest.FixtureRequest) -> object:
    """Python ints/floats are 64-bit: let JAX hold them."""
    names = {request.getfixturevalue(f).name for f in ("target",)
             if f in request.fixturenames}
    if "jax" not in names:
        yield None
        return
    previous = set_jax_x64(True)
    try:
        yield None
    finally:
        set_jax_x64(previous)


SCALARS = [np.float32(1.5), np.int16(-3), np.bool_(True), np.complex64(1 - 2j),
           np.uint8(200), np.float64(np.nan)]


@pytest.mark.parametrize("scalar", SCALARS, ids=lambda s: type(s).__name__)
def test_numpy_scalars(scalar: np.generic, target: Backend) -> None:
    expected = np.asarray(scalar)
    result = interop.to(scalar, target.name)
    assert_exact(result, expected, target)
    assert tuple(result.shape) == ()
    with pytest.raises(interop.CopyRequiredError):
        interop.to(scalar, target.name, copy=False)


PYTHON_VALUES = [
    (1.5, np.array(1.5)), (7, np.array(7)), (True, np.array(True)),
    (2 - 1j, np.array(2 - 1j)), ([1, 2, 3], np.array([1, 2, 3])),
    ([[1.0, 2.0], [3.0, 4.0]], np.array([[1.0, 2.0], [3.0, 4.0]])),
    (((1, 2), (3, 4)), np.array([[1, 2], [3, 4]])), ([], np.array([])),
]


@pytest.mark.parametrize(("value", "expected"), PYTHON_VALUES,
                         ids=[type(v).__name__ + str(i) for i, (v, _) in enumerate(PYTHON_VALUES)])
def test_python_values_always_copied(value: object, expected: np.ndarray,
                                     target: Backend) -> None:
    result = interop.to(value, target.name)
    assert_exact(result, expected, target)
    again = interop.to(value, target.name, copy=True)
    assert_exact(again, expected, target)
    with pytest.raises(interop.CopyRequiredError, match="Python"):
        interop.to(value, target.name, copy=False)
    plan = interop.explain(value, target.name)
    assert plan.zero_copy is False


@pytest.mark.parametrize("value", [[[1, 2], [3]], [1, [2, 3]], [[1], 2]],
                         ids=["ragged", "mixed-depth", "mixed-depth-2"])
def test_ragged_sequences(value: object, target: Backend) -> None:
    with pytest.raises(interop.NotAnArrayError):
        interop.to(value, target.name)


@pytest.mark.parametrize("value", [[1, "a"], ["a", "b"], [None, 1]],
                         ids=["mixed-kinds", "strings", "none"])
def test_non_numeric_sequences(value: object, target: Backend) -> None:
    if value == ["a", "b"] and target.name == "numpy":  # NumPy holds strings: no refusal
        assert interop.to(value, "numpy").tolist() == ["a", "b"]
        return
    # not numbers: either "not an array" or "no such dtype" is an honest answer
    with pytest.raises((interop.NotAnArrayError, interop.UnsupportedDtypeError)):
        interop.to(value, target.name)


def test_list_result_is_independent() -> None:
    values = [1.0, 2.0]
    a = interop.to(values, "numpy")
    a[0] = 5.0
    assert values == [1.0, 2.0]


def test_memoryview_shared_with_numpy_and_torch() -> None:
    buf = bytearray(range(16))
    view = memoryview(buf)
    a = interop.to(view, "numpy")
    assert a.dtype == np.uint8 and a.tolist() == list(range(16))
    a[0] = 99
    assert buf[0] == 99, "numpy result must be a view of the memoryview"
    torch = pytest.importorskip("torch")
    t = interop.to(memoryview(buf), "torch")
    assert isinstance(t, torch.Tensor)
    t[1] = 77
    assert buf[1] == 77, "torch result must share the bytearray's memory"


def test_bytearray_and_array_array(target: Backend) -> None:
    buf = bytearray(b"\x01\x02\x03")
    assert_exact(interop.to(buf, target.name), np.array([1, 2, 3], dtype=np.uint8), target)
    arr = array.array("i", [5, -6, 7])
    expected = np.array([5, -6, 7], dtype=np.intc)
    result = interop.to(arr, target.name)
    assert_exact(result, expected, target)
    if target.name in ("numpy", "torch"):
        assert interop.shares_memory(result, np.frombuffer(arr, dtype=np.intc))
    copied = interop.to(arr, target.name, copy=True)
    assert not interop.shares_memory(copied, np.frombuffer(arr, dtype=np.intc))


def test_read_only_buffer_not_writable_in_torch() -> None:
    torch = pytest.importorskip("torch")
    data = b"\x01\x02\x03\x04"
    t = interop.to(memoryview(data), "torch")
    assert isinstance(t, torch.Tensor)
    t[0] = 42
    assert data == b"\x01\x02\x03\x04", "writing to the result changed an immutable bytes"
    with pytest.raises(interop.CopyRequiredError):
        interop.to(memoryview(data), "torch", copy=False)


def test_array_only_object_values(target: Backend) -> None:
    a = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    obj = ArrayOnly(a)
    result = interop.to(obj, target.name)
    assert_exact(result, a, target)
    assert np.array_equal(read(result), a)
    assert obj.calls


def test_to_numpy_accepts_everything() -> None:
    assert np.array_equal(interop.to_numpy([1, 2]), [1, 2])
    assert interop.to_numpy(np.float32(2)).shape == ()
    assert np.array_equal(interop.to_numpy(memoryview(b"\x05")), [5])
    with pytest.raises(interop.NotAnArrayError):
        interop.to_numpy(object())
