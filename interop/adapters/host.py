"""Host protocol adapters: buffers, ``__array__`` objects, Python scalars and sequences.

These inputs are turned into NumPy arrays first (a view where the protocol
shares memory, a copy for Python values) and then travel as NumPy arrays.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._adapter import Adapter, ArrayInfo, Request
from .._devices import CPU, Device
from .._errors import NotAnArrayError

__all__ = ["BufferAdapter", "PythonAdapter"]


class BufferAdapter(Adapter):
    """Objects with ``__array_interface__``, ``__array__`` or the buffer protocol."""

    name = "buffer"

    def owns(self, tp: type) -> bool:
        if hasattr(tp, "__array_interface__") or hasattr(tp, "__array__"):
            return True
        try:
            return hasattr(tp, "__buffer__") or _is_buffer(tp)
        except TypeError:
            return False

    def owns_instance(self, x: object) -> bool:
        """Protocols a type does not show: an instance ``__array_interface__``, ctypes arrays."""
        if hasattr(x, "__array_interface__"):
            return True
        try:
            memoryview(x)  # type: ignore[arg-type]
        except TypeError:
            return False
        return True

    def coerce(self, x: Any, request: Request) -> tuple[Any, Adapter, str | None]:
        try:
            view = np.asarray(x)
        except Exception as exc:
            raise NotAnArrayError(
                f"{type(x).__name__} claims an array protocol but NumPy could not read it: {exc}"
            ) from exc
        return view, request.adapter("numpy"), None

    def describe(self, x: Any) -> ArrayInfo:  # pragma: no cover - coerced before use
        raise NotImplementedError("buffer objects are coerced to NumPy arrays first")

    def device_of(self, x: Any) -> Device:
        return CPU


class PythonAdapter(Adapter):
    """Python numbers and (nested) lists/tuples of them: always copied."""

    name = "python"

    def owns(self, tp: type) -> bool:
        return issubclass(tp, (numbers.Number, list, tuple)) and not issubclass(tp, (str, bytes))

    def coerce(self, x: Any, request: Request) -> tuple[Any, Adapter, str | None]:
        try:
            array = np.array(x)
        except (ValueError, TypeError) as exc:
            raise NotAnArrayError(
                f"This {type(x).__name__} is not a rectangular nest of numbers, so it is not an "
                f"array: {exc}"
            ) from exc
        if array.dtype.kind in "US" and not _only(x, str if array.dtype.kind == "U" else bytes):
            raise NotAnArrayError(
                f"This {type(x).__name__} mixes strings with other values; NumPy would turn "
                "every value into a string. Convert the values to one kind first."
            )
        if array.dtype == object:
            raise NotAnArrayError(
                f"This {type(x).__name__} holds values that are not numbers of one kind "
                "(ragged nesting, strings, or mixed objects), so it is not an array."
            )
        return array, request.adapter("numpy"), \
            f"a Python {type(x).__name__} holds boxed values, so it is always copied"

    def describe(self, x: Any) -> ArrayInfo:  # pragma: no cover - coerced before use
        raise NotImplementedError("Python values are coerced to NumPy arrays first")

    def device_of(self, x: Any) -> Device:
        return CPU


def _only(x: Any, kind: type) -> bool:
    """True when every leaf of a nest of lists/tuples is a ``kind`` (str or bytes)."""
    if isinstance(x, list | tuple):
        return all(_only(item, kind) for item in x)
    return isinstance(x, kind)


def _is_buffer(tp: type) -> bool:
    return tp in (bytes, bytearray, memoryview) or tp.__module__ == "array"
