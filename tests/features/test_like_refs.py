"""``like`` keeps the adapter of each reference type until the registry changes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import interop
from interop import _registry


class Box:
    """An array type of a framework that exists only while its adapter is registered."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data


class BoxAdapter(interop.Adapter):
    name = "box"
    holds_read_only = True
    any_layout = True

    def owns(self, tp: type) -> bool:
        return issubclass(tp, Box)

    def describe(self, x: Any) -> interop.ArrayInfo:
        d = x.data
        return interop.ArrayInfo(dtype=d.dtype.name, shape=d.shape, strides=d.strides,
                                 itemsize=d.itemsize, read_only=not d.flags.writeable)

    def host_view(self, x: Any) -> np.ndarray:
        return x.data  # type: ignore[no-any-return]

    def from_dlpack(self, producer: Any) -> Any:
        return Box(np.from_dlpack(producer))

    def from_numpy(self, array: np.ndarray) -> Any:
        return Box(array)


def test_an_unregistered_reference_type_is_refused_again() -> None:
    with _registry.use():
        interop.register(BoxAdapter())
        ref = Box(np.zeros(1))
        for _ in range(2):
            out = interop.like(np.arange(3.0), ref)
            assert type(out) is Box and out.data.tolist() == [0.0, 1.0, 2.0]
        interop.unregister("box")
        with pytest.raises(interop.NotAnArrayError, match="like"):
            interop.like(np.arange(3.0), ref)


def test_a_replaced_adapter_is_asked_at_once() -> None:
    class OtherBoxAdapter(BoxAdapter):
        def from_numpy(self, array: np.ndarray) -> Any:
            return Box(array * 2)

    with _registry.use():
        interop.register(BoxAdapter())
        ref = Box(np.zeros(1))
        assert interop.like(np.ones(2), ref).data.tolist() == [1.0, 1.0]
        interop.register(OtherBoxAdapter(), replace=True)
        assert interop.like(np.ones(2), ref).data.tolist() == [2.0, 2.0]


def test_bad_refs_and_copy_values_still_say_what_is_wrong() -> None:
    a = np.arange(2.0)
    for _ in range(2):
        with pytest.raises(interop.NotAnArrayError, match="like"):
            interop.like(a, [1.0])
        with pytest.raises(TypeError, match="copy must be True, False or None"):
            interop.like(a, a, copy="yes")  # type: ignore[arg-type]
        assert interop.like(a, a) is a
        assert interop.like(a, a, copy=np.bool_(False)) is a
        assert interop.like(a, a, copy=True) is not a
