"""Inputs the owner coerces first (NumPy scalars, lists, bytes) get a remembered route too.

The remembered entry replays the coercion and runs the route the planner chose for the
coerced array's key; every answer must equal the planner's (``interop.planned``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import interop
from interop._remember import ROUTES, CoercedRoute

torch = pytest.importorskip("torch")

VALUES: list[Any] = [np.float32(1.5), np.int8(-3), np.bool_(True), np.float16(0.5),
                     np.complex64(1 - 2j), np.uint8(255), [1.0, 2.0], [1, 2, 3],
                     [[1, 2], [3, 4]], [True, False], (1.5, 2.5), b"ab", 7, 2.5, [2**62]]


@pytest.mark.parametrize("copy", [None, True])
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_remembered_equals_planned(value: Any, copy: bool | None) -> None:
    for _ in range(3):  # first call plans and remembers, the others run the entry
        got = interop.to(value, "torch", copy=copy)
        want = interop._convert.planned(value, "torch", copy=copy)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert torch.equal(got, want)
    assert isinstance(ROUTES[copy]["torch"][type(value)], CoercedRoute)


def test_a_scalar_result_is_a_private_writable_tensor() -> None:
    """The remembered hand-off adopts the coerced buffer natively; nothing else sees it."""
    s = np.float32(2.5)
    results = [interop.to(s, "torch") for _ in range(3)]
    for t in results:
        t.fill_(7.0)
    assert s == np.float32(2.5)
    assert len({t.data_ptr() for t in results}) == 3  # three private buffers


def test_value_dependent_coercion_is_keyed_not_assumed() -> None:
    jnp = pytest.importorskip("jax.numpy")
    small, large = [1, 2], [2**40, 1]  # int32 fits the first only (x64 off)
    first = interop.to(small, "jax")
    assert first.dtype == jnp.int32
    with pytest.raises(interop.InteropError):
        interop.to(large, "jax")  # refused, never narrowed, after a remembered success
    assert interop.to(small, "jax").dtype == jnp.int32


def test_lists_inside_trees_are_still_containers() -> None:
    interop.to([1.0, 2.0], "torch")  # a remembered route for the type list
    out = interop.to_each([[1.0, 2.0], np.ones(2)], "torch")
    assert out[0] == [1.0, 2.0] and isinstance(out[1], torch.Tensor)


def test_copy_false_on_a_list_still_refuses() -> None:
    interop.to([1.0], "torch")
    for _ in range(2):
        with pytest.raises(interop.CopyRequiredError):
            interop.to([1.0], "torch", copy=False)
