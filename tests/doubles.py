"""Protocol test doubles: objects that implement *only* an array protocol.

They let the tests prove that interop really routes through the protocols (and
passes the right arguments), not through framework-specific shortcuts.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

__all__ = [
    "ArrayInterfaceOnly", "ArrayOnly", "DLPackOnly", "FakeCudaProducer", "LegacyProducer",
    "RaisingProducer", "set_capsule_version",
]


class DLPackOnly:
    """Wraps any DLPack producer; implements only ``__dlpack__``/``__dlpack_device__``.

    Every ``__dlpack__`` call's keyword arguments are recorded in ``calls``.
    """

    def __init__(self, array: Any) -> None:
        self.array = array
        self.calls: list[dict[str, Any]] = []

    def __dlpack__(self, **kwargs: Any) -> object:
        self.calls.append(dict(kwargs))
        return self.array.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return self.array.__dlpack_device__()


class LegacyProducer:
    """An old-style producer: ``__dlpack__`` takes only ``stream`` (a TypeError otherwise)."""

    def __init__(self, array: Any) -> None:
        self.array = array
        self.calls: list[dict[str, Any]] = []

    def __dlpack__(self, stream: Any = None, **kwargs: Any) -> object:
        self.calls.append({"stream": stream, **kwargs})
        if kwargs:
            raise TypeError(
                f"__dlpack__() got an unexpected keyword argument {next(iter(kwargs))!r}")
        return self.array.__dlpack__(stream=stream)  # a legacy (unversioned) capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return self.array.__dlpack_device__()


class RaisingProducer:
    """``__dlpack__`` fails with a TypeError that has nothing to do with keywords."""

    def __init__(self) -> None:
        self.calls = 0

    def __dlpack__(self, **kwargs: Any) -> object:
        self.calls += 1
        raise TypeError("internal producer failure")

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)


class FakeCudaProducer:
    """Claims to live on CUDA device 0 (``(2, 0)``) and records the stream it was given.

    The capsule it returns describes host memory (there is no GPU here); tests use it
    only to check what interop *asks* of a GPU producer.
    """

    def __init__(self, array: np.ndarray) -> None:
        self.array = array
        self.streams: list[Any] = []
        self.calls: list[dict[str, Any]] = []

    def __dlpack__(self, **kwargs: Any) -> object:
        self.calls.append(dict(kwargs))
        self.streams.append(kwargs.get("stream"))
        forwarded = {k: v for k, v in kwargs.items() if k in ("max_version", "copy")}
        return self.array.__dlpack__(**forwarded)

    def __dlpack_device__(self) -> tuple[int, int]:
        return (2, 0)


class ArrayOnly:
    """Implements only ``__array__`` (returns a view of the wrapped array)."""

    def __init__(self, array: np.ndarray) -> None:
        self._array = array
        self.calls: list[dict[str, Any]] = []

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        self.calls.append({"dtype": dtype, "copy": copy})
        if copy:
            return np.array(self._array, dtype=dtype, copy=True)
        return self._array if dtype is None else self._array.astype(dtype, copy=False)


class ArrayInterfaceOnly:
    """Implements only ``__array_interface__`` (describes the wrapped array's memory)."""

    def __init__(self, array: np.ndarray) -> None:
        self._array = array  # keeps the memory alive

    @property
    def __array_interface__(self) -> dict[str, Any]:
        return self._array.__array_interface__


# -- capsule surgery ---------------------------------------------------------------------------

_get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_get_pointer.restype, _get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]


class _DLPackVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


def set_capsule_version(capsule: object, major: int, minor: int = 0) -> None:
    """Overwrite the version of a ``dltensor_versioned`` capsule (its first struct field)."""
    address = _get_pointer(capsule, b"dltensor_versioned")
    version = _DLPackVersion.from_address(address)
    version.major, version.minor = major, minor
