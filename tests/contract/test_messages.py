"""Messages that tell the truth (issue: a newcomer's first hour): what was received, what is
allowed, how to fix it, and the right answer where there is one."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import interop


def test_strings_convert_to_numpy_and_other_targets_name_themselves() -> None:
    assert interop.to(["a", "b"], "numpy").tolist() == ["a", "b"]
    pytest.importorskip("torch")
    with pytest.raises(interop.UnsupportedDtypeError, match="in torch"):
        interop.to(["a", "b"], "torch")


def test_integers_too_large_for_int64_say_so() -> None:
    with pytest.raises(interop.UnsupportedDtypeError, match="too large for int64"):
        interop.to([2**70], "numpy")


def test_a_list_of_grad_tensors_gets_an_interop_message() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(interop.NotAnArrayError, match="to_each"):
        interop.to([torch.ones(2, requires_grad=True)] * 2, "numpy")
    out = interop.to_each([torch.ones(2, requires_grad=True)] * 2, "numpy")
    assert [a.tolist() for a in out] == [[1.0, 1.0]] * 2


def test_python_ints_into_jax_without_x64() -> None:
    jax = pytest.importorskip("jax")
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)
    try:
        out = interop.to([1, 2, 3], "jax")
        assert str(out.dtype) == "int32" and out.tolist() == [1, 2, 3]
        with pytest.raises(interop.UnsupportedDtypeError, match="int32"):
            interop.to([2**40], "jax")
        with pytest.raises(interop.UnsupportedDtypeError, match=r"np\.asarray\(x, dtype=np"):
            interop.to([1.5], "jax")
    finally:
        jax.config.update("jax_enable_x64", previous)


@pytest.mark.parametrize(("name", "suggestion"), [("pytorch", "torch"), ("Torch", "torch"),
                                                  ("nump", "numpy")])
def test_unknown_targets_suggest_the_closest_name(name: str, suggestion: str) -> None:
    with pytest.raises(interop.UnknownFrameworkError, match=f"Did you mean '{suggestion}'"):
        interop.to(np.zeros(1), name)


def test_module_name_strings_are_targets() -> None:
    pytest.importorskip("jax")
    assert interop.framework(interop.to(np.zeros(2, np.float32), "jax.numpy")) == "jax"
    assert isinstance(interop.to(np.zeros(2), "array_api_compat.numpy"), np.ndarray)


def test_range_and_bytes() -> None:
    assert interop.to(range(3), "numpy").tolist() == [0, 1, 2]
    raw = interop.to(b"abc", "numpy")  # bytes are raw memory, as memoryview(bytes) is
    assert raw.dtype == np.uint8 and raw.tolist() == [97, 98, 99] and not raw.flags.writeable
    assert interop.to(memoryview(b"abc"), "numpy").tolist() == raw.tolist()


def test_masked_arrays_are_refused_naming_the_mask() -> None:
    with pytest.raises(interop.InteropError, match="mask"):
        interop.to(np.ma.masked_array([1, 2], mask=[0, 1]), "numpy")


def test_copy_false_refuses_an_array_protocol_that_copies() -> None:
    class Copies:
        def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
            if copy is False:
                raise ValueError("this object cannot share its memory")
            return np.arange(3)

    with pytest.raises(interop.CopyRequiredError, match="can only give a copy"):
        interop.to(Copies(), "numpy", copy=False)
    assert interop.to(Copies(), "numpy").tolist() == [0, 1, 2]


def test_via_says_which_argument_was_not_an_array() -> None:
    @interop.via("numpy")
    def total(a: Any) -> Any:
        return a.sum()

    with pytest.raises(AttributeError) as caught:
        total([1, 2, 3])
    assert "argument 0 is a Python list" in "".join(getattr(caught.value, "__notes__", []))
    assert total(np.arange(3)) == 3
