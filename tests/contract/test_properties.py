"""Hypothesis properties: random dtype, shape, strides (negative steps too) and copy mode.

For every installed source/target pair: the values and dtype come through exactly, and
memory sharing matches the ``copy`` contract.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from test_matrix import expected_sharing

import interop

from backends import (
    DTYPE_NAMES,
    EXTENDED_DTYPES,
    STRICT_DTYPES,
    Backend,
    bits,
    data_pointer,
    dtype_name,
    jax_x64_for,
    make,
    np_dtype,
    read,
)

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SETTINGS = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def _x64(backend: Backend, target: Backend) -> Iterator[None]:
    with jax_x64_for(backend.name, target.name):
        yield


def _dtypes(backend: Backend, target: Backend) -> list[str]:
    names = list(DTYPE_NAMES)
    try:
        import ml_dtypes  # noqa: F401
    except ImportError:
        names = [n for n in names if n not in EXTENDED_DTYPES]
    if "array_api_strict" in (backend.name, target.name):
        names = [n for n in names if n in STRICT_DTYPES]
    return names


@st.composite
def arrays(draw: Any, dtypes: list[str]) -> tuple[np.ndarray, tuple[slice, ...]]:
    dtype = draw(st.sampled_from(dtypes))
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=0, max_size=3)))
    count = int(np.prod(shape, dtype=np.int64))
    raw = draw(st.binary(min_size=count * np_dtype(dtype).itemsize,
                         max_size=count * np_dtype(dtype).itemsize))
    if dtype == "bool":
        base = np.frombuffer(raw, dtype=np.uint8).astype(bool).reshape(shape)
    else:
        base = np.frombuffer(raw, dtype=np_dtype(dtype)).reshape(shape).copy()
    index = []
    for _ in shape:
        step = draw(st.sampled_from([1, 1, 2, -1, -2]))
        start = draw(st.sampled_from([None, 1]))
        index.append(slice(start, None, step))
    return base, tuple(index)


def _view(backend: Backend, base: np.ndarray, index: tuple[slice, ...]) -> tuple[Any, np.ndarray]:
    """A source array of ``backend`` viewing ``base`` through ``index``, and its values."""
    if base.ndim == 0:  # indexing a 0-d array with () would give a scalar
        x = make(backend, base)
        return (base.copy() if backend.name == "numpy" else _reshape0(backend, x)), base.copy()
    if backend.name == "numpy":
        return base.copy()[index], base[index].copy()
    if backend.name == "torch":  # torch has no negative steps: use the absolute steps
        positive = tuple(slice(s.start, None, abs(s.step)) for s in index)
        return make(backend, base)[positive], base[positive].copy()
    return make(backend, base[index]), base[index].copy()


def _reshape0(backend: Backend, x: Any) -> Any:
    import importlib

    if backend.name == "torch":
        return x.reshape(())
    module = importlib.import_module("jax.numpy" if backend.name == "jax" else backend.name)
    return module.reshape(x, ())


@SETTINGS
@given(data=st.data())
def test_values_dtype_and_sharing(backend: Backend, target: Backend, data: Any) -> None:
    base, index = data.draw(arrays(_dtypes(backend, target)))
    copy = data.draw(st.sampled_from([None, True, False]))
    x, expected = _view(backend, base, index)
    want = expected_sharing(x, backend, target) if backend != target else True
    try:
        result = interop.to(x, target.name, copy=copy)
    except interop.CopyRequiredError:
        assert copy is False
        assert want is not True, "copy=False refused a conversion that can share"
        return
    assert dtype_name(result) == dtype_name(expected)
    assert tuple(result.shape) == expected.shape
    assert bits(read(result)) == bits(expected)
    shared = interop.shares_memory(x, result)
    size = expected.size
    if copy is True:
        assert not shared
        if size:
            assert data_pointer(result) != data_pointer(x)
    elif backend == target:
        assert result is x
    elif copy is False and size:
        assert shared, "copy=False must share"
    elif want is not None:
        assert shared is want


@SETTINGS
@given(data=st.data())
def test_round_trip_is_exact(backend: Backend, target: Backend, data: Any) -> None:
    base, index = data.draw(arrays(_dtypes(backend, target)))
    x, expected = _view(backend, base, index)
    there = interop.to(x, target.name)
    back = interop.to(there, backend.name)
    assert dtype_name(back) == dtype_name(x)
    assert bits(read(back)) == bits(expected)
    explained = interop.explain(x, target.name)
    assert isinstance(explained, interop.Plan)
