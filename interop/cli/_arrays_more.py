"""TensorFlow, MLX and Paddle arrays for the command line, made and read by their own calls.

Kept apart from ``_arrays`` so that each framework is imported only by the process that
converts it: TensorFlow and Paddle never meet in one process (see ``_isolate``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["NAMES", "make", "native_from", "native_to", "read"]

Call = Callable[[Any], Any]

#: The frameworks this module builds and reads (host arrays only).
NAMES = ("tensorflow", "mlx", "paddle")
#: The top-level module names their arrays' types live in.
MODULES = {"tensorflow": "tensorflow", "mlx": "mlx", "paddle": "paddle"}


def _module(name: str) -> Any:
    return importlib.import_module("mlx.core" if name == "mlx" else name)


def make(name: str, ref: np.ndarray) -> Any:
    """``ref``'s values as a new array of ``name`` (MLX narrows float64: the caller checks)."""
    mod = _module(name)
    if name == "tensorflow":
        return mod.constant(ref.copy())
    if name == "mlx":
        return mod.array(ref.copy())
    return mod.to_tensor(ref.copy())


def owner(x: Any) -> str | None:
    """Which of these frameworks ``x`` belongs to, from its type's module (no import)."""
    top = type(x).__module__.partition(".")[0]
    return next((n for n, m in MODULES.items() if top == m), None)


def read(name: str, x: Any) -> np.ndarray:
    """A NumPy copy of ``x``'s values by the framework's own means."""
    if name == "mlx":
        return np.array(x, copy=True)
    return np.array(x.numpy(), copy=True)  # tf.Tensor.numpy(), paddle.Tensor.numpy()


def native_to(name: str, src: str) -> dict[str, Call]:
    """The framework's own calls that import an array of ``src`` into ``name``."""
    mod = _module(name)
    if name == "tensorflow":
        calls: dict[str, Call] = {"tf.convert_to_tensor": mod.convert_to_tensor}
        if src != "numpy":  # TF reads legacy capsules only
            calls["tf.experimental.dlpack.from_dlpack"] = \
                lambda x: mod.experimental.dlpack.from_dlpack(x.__dlpack__())
        return calls
    if name == "mlx":
        return {"mx.array": mod.array}
    return {"paddle.to_tensor": mod.to_tensor, "paddle.from_dlpack": mod.from_dlpack}


def native_from(name: str) -> dict[str, Call]:
    """The framework's own calls that give a NumPy array of one of its arrays."""
    if name == "mlx":
        return {"np.asarray": np.asarray, "np.from_dlpack": np.from_dlpack}
    return {"Tensor.numpy()": lambda t: t.numpy(), "np.asarray": np.asarray}
