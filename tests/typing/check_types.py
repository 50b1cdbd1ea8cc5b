"""Static checks of interop's public types, run by mypy (tests/test_typing.py), never executed.

An ``assert_type`` fails when the inferred type differs; a ``# type: ignore[code]`` line
fails (as an unused ignore) when mypy does *not* find the error, which proves that a type is
precise, not ``Any``.
"""

from __future__ import annotations

from typing import Any

import jax
import mlx.core as mx
import numpy as np
import paddle
import tensorflow as tf
import torch
from numpy.typing import NDArray
from typing_extensions import assert_type

import interop


def check_to(x: Any) -> None:
    assert_type(interop.to(x, "torch"), torch.Tensor)
    assert_type(interop.to(x, "numpy", copy=True), NDArray[Any])
    assert_type(interop.to(x, "jax", device="cpu"), jax.Array)
    assert_type(interop.to(x, "array_api_strict"), Any)  # no public array type: Any
    assert_type(interop.to(x, np), Any)  # a module: Any
    _not_a_string: str = interop.to(x, "torch")  # type: ignore[assignment]
    interop.to(x, "torch").numpy_()  # type: ignore[attr-defined]
    interop.to(x, "torch", copy="yes")  # type: ignore[call-overload]


def check_to_more_frameworks(x: Any) -> None:
    """Their array types where installed (Any where not: tests/typing/mypy.ini)."""
    assert_type(interop.to(x, "tensorflow"), tf.Tensor)
    assert_type(interop.to(x, "mlx", copy=True), mx.array)
    assert_type(interop.to(x, "paddle", device="cpu"), paddle.Tensor)


def check_tree(x: Any) -> None:
    assert_type(interop.to_each([x], "torch"), Any)
    assert_type(interop.like(x, x), Any)
    assert_type(interop.namespace(x), Any)
    assert_type(interop.is_array(x), bool)


@interop.via("numpy")
def scale(x: NDArray[np.float32], factor: float, *, shift: float = 0.0) -> NDArray[np.float32]:
    return x * np.float32(factor) + np.float32(shift)


def check_via(a: NDArray[np.float32]) -> None:
    assert_type(scale(a, 2.0, shift=1.0), NDArray[np.float32])  # signature kept (ParamSpec)
    scale(a)  # type: ignore[call-arg]
    scale(a, "2")  # type: ignore[arg-type]
    scale(a, 2.0, offset=1.0)  # type: ignore[call-arg]


class MyAdapter(interop.Adapter):
    name = "mine"

    def owns(self, tp: type) -> bool:
        return tp is bytes

    def describe(self, x: Any) -> interop.ArrayInfo:
        return interop.ArrayInfo(dtype="uint8", shape=(len(x),), strides=(1,), itemsize=1)


def check_register() -> None:
    interop.register(MyAdapter(), replace=True)
    interop.register(MyAdapter)  # type: ignore[arg-type]


def check_helpers(x: Any, t: torch.Tensor) -> None:
    assert_type(interop.to_numpy(x), NDArray[Any])
    assert_type(interop.like(x, t), torch.Tensor)  # the type of ref
