"""Pair tests for the frameworks that run in their own sessions (TensorFlow, MLX, Paddle).

Arrays are built and read with each framework's own calls, never with interop; the
oracle (``expected``) states the copy contract from the frameworks' documented facts:
TF and MLX arrays are immutable, MLX copies every import, TF tensors are C-ordered,
torch and Paddle are writable and hold no negative strides.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import interop

from backends import bits, np_dtype, sample

WRITABLE = frozenset({"torch", "paddle"})
IMMUTABLE = frozenset({"tensorflow", "mlx"})
#: dtypes each framework holds (and carries through DLPack) exactly.
HOLDS = {
    "numpy": None,
    "torch": None,
    "tensorflow": frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
                             "uint32", "uint64", "float16", "float32", "float64", "bfloat16",
                             "complex64", "complex128"}),
    "mlx": frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                      "uint64", "float16", "float32", "float64", "bfloat16", "complex64"}),
    "paddle": frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint32",
                         "uint64", "float16", "float32", "float64", "bfloat16", "complex64",
                         "complex128", "float8_e4m3fn", "float8_e5m2"}),
}
DTYPES = ("bool", "int8", "uint16", "int64", "float32", "float64", "complex128", "bfloat16",
          "float8_e5m2")
LAYOUTS = ("contiguous", "transposed", "step", "reversed", "zero_d", "empty")


def holds(framework: str, dtype: str) -> bool:
    names = HOLDS[framework]
    return names is None or dtype in names


def base_of(dtype: str, layout: str) -> np.ndarray:
    shape = {"zero_d": (), "empty": (0, 3), "step": (4, 6)}.get(layout, (3, 4))
    return sample(dtype, shape, seed=len(layout))


def numpy_view(a: np.ndarray, layout: str) -> np.ndarray:
    if layout == "transposed":
        return a.T
    if layout == "step":
        return a[::2, 1::2]
    if layout == "reversed":
        return a[::-1]
    return a


def make(framework: str, a: np.ndarray, layout: str) -> Any:
    """``a`` in ``framework`` in ``layout``, built natively; None when it cannot express it."""
    if framework == "numpy":
        return numpy_view(a.copy(), layout)
    if layout == "reversed" and framework != "numpy":
        return None
    if framework == "torch":
        import torch

        raw = torch.from_numpy(a.view(f"u{a.itemsize}").copy() if a.dtype.name in (
            "bfloat16", "float8_e5m2") else a.copy())
        t = raw.view(getattr(torch, a.dtype.name)) if a.dtype.name in (
            "bfloat16", "float8_e5m2") else raw
        return {"transposed": lambda: t.mT, "step": lambda: t[::2, 1::2]}.get(layout, lambda: t)()
    if framework == "tensorflow":
        import tensorflow as tf

        if layout in ("transposed", "step"):
            return None  # TF tensors have no strided views
        return tf.constant(a)
    if framework == "mlx":
        import mlx.core as mx

        raw = a.view(f"u{a.itemsize}") if a.dtype.name == "bfloat16" else a
        if a.dtype.name == "bfloat16":
            x = mx.array(raw).view(mx.bfloat16)
        else:  # name the dtype: mx.array narrows float64 to float32 by default
            x = mx.array(raw, dtype=getattr(mx, "bool_" if a.dtype == bool else a.dtype.name))
        return {"transposed": lambda: x.T, "step": lambda: x[::2, 1::2]}.get(layout, lambda: x)()
    if framework == "paddle":
        import paddle

        name = a.dtype.name
        if name in ("bfloat16", "float8_e5m2"):
            t = paddle.to_tensor(a.view(np.int16 if name == "bfloat16" else np.uint8)).view(
                getattr(paddle, name))
        else:
            t = paddle.to_tensor(a.copy())
        return {"transposed": lambda: t.T, "step": lambda: t[::2, 1::2]}.get(layout, lambda: t)()
    raise ValueError(framework)


def read(x: Any) -> np.ndarray:
    """A NumPy copy of ``x``'s values, by the framework's own means."""
    mod = type(x).__module__.split(".")[0]
    if isinstance(x, np.ndarray):
        return x.copy()
    if mod == "torch":
        from backends import read as read_torch

        return read_torch(x)
    if mod == "tensorflow":
        return np.array(x.numpy())
    if mod == "mlx":
        import mlx.core as mx

        if x.dtype == mx.bfloat16:
            return np.array(x.view(mx.uint16)).view(np_dtype("bfloat16"))
        return np.array(x)
    if mod == "paddle":
        name = str(x.dtype).removeprefix("paddle.")
        if name in ("bfloat16", "float8_e5m2", "float8_e4m3fn"):
            import paddle

            raw = x.clone().contiguous().view(paddle.int16 if name == "bfloat16" else paddle.uint8)
            return raw.numpy().view(np_dtype(name))
        return np.array(x.numpy())
    raise TypeError(type(x))


def dtype_of(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return x.dtype.name
    return str(x.dtype).removeprefix("torch.").removeprefix("paddle.").removeprefix(
        "mlx.core.").replace("bool_", "bool").replace("<dtype: '", "").rstrip("'>")


def expected(src: str, dst: str, layout: str, copy: bool | None) -> str:
    """"share", "copy" or "refuse" (copy=False that needs a copy)."""
    if copy is True:
        return "copy"
    if src == dst:
        return "share"
    if layout == "empty":
        return "either"
    needs_copy = dst == "mlx" \
        or (src in IMMUTABLE and dst in WRITABLE) \
        or (layout == "reversed" and dst != "numpy") \
        or (dst == "tensorflow" and layout in ("transposed", "step"))
    if not needs_copy:
        return "share"
    return "refuse" if copy is False else "copy"


def check_pair(src: str, dst: str, dtype: str, layout: str, copy: bool | None) -> None:
    if not holds(src, dtype):
        pytest.skip(f"{src} has no {dtype}")
    a = base_of(dtype, layout)
    x = make(src, a, layout)
    if x is None:
        pytest.skip(f"{src} cannot express the {layout} layout")
    want = read(x)
    assert bits(want) == bits(numpy_view(a, layout))
    if not holds(dst, dtype):
        with pytest.raises(interop.UnsupportedDtypeError, match=dtype):
            interop.to(x, dst, copy=copy)
        return
    outcome = expected(src, dst, layout, copy)
    if outcome == "refuse" or (dst == "tensorflow" and copy is False and outcome == "copy"):
        with pytest.raises(interop.CopyRequiredError):
            interop.to(x, dst, copy=False)
        return
    result = interop.to(x, dst, copy=copy)
    assert dtype_of(result) == dtype, (dtype_of(result), dtype)
    assert tuple(result.shape) == want.shape
    assert bits(read(result)) == bits(want)
    shared = interop.shares_memory(x, result)
    if outcome == "share" and src == dst:
        assert result is x
    elif outcome == "share":
        assert shared, "the contract says share"
    elif outcome == "copy":
        assert not shared, "the contract says copy"
    if dst == "numpy" and src in IMMUTABLE | {"tensorflow"} and outcome == "share":
        assert not result.flags.writeable
    assert bits(read(x)) == bits(want)  # the source is untouched


def explain_names_source(x: Any, target: str, source: str) -> None:
    plan = interop.explain(x, target)
    text = str(plan)
    assert text.startswith(source)
    assert "immutable" in text or "read-only" in text
