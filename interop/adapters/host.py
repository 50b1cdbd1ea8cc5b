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
from .._errors import CopyRequiredError, NotAnArrayError, UnsupportedDtypeError

__all__ = ["BufferAdapter", "PythonAdapter"]


class BufferAdapter(Adapter):
    """Objects with ``__array_interface__``, ``__array__`` or the buffer protocol."""

    name = "buffer"
    coerces_purely = True  # np.asarray of the buffer: a view, or the copy __array__ makes

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
        if isinstance(x, bytes | bytearray):  # raw bytes, like memoryview(x): uint8, shared
            return np.frombuffer(x, dtype=np.uint8), request.adapter("numpy"), None
        try:
            # copy=False is a promise: NumPy raises rather than let __array__ copy quietly
            view = np.asarray(x, copy=False) if request.copy is False else np.asarray(x)
        except ValueError as exc:
            if request.copy is False:
                raise CopyRequiredError(
                    f"copy=False, but this {type(x).__name__} can only give a copy of its data "
                    f"({exc}). Pass copy=None to accept the copy.",
                    (f"{type(x).__name__}.__array__ copies",)) from exc
            raise NotAnArrayError(
                f"{type(x).__name__} claims an array protocol but NumPy could not read it: {exc}"
            ) from exc
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
    """Python numbers, ``range`` and (nested) lists/tuples of them: always copied.

    Python ints become int64 as in NumPy, except for a target that cannot hold int64
    (JAX with 64-bit mode off): values that fit int32 become int32 there, exactly as
    ``jnp.asarray`` does; anything else is refused, never narrowed.
    """

    name = "python"
    coerces_purely = True  # np.array of the value, fitted to the target

    def owns(self, tp: type) -> bool:
        return issubclass(tp, (numbers.Number, list, tuple, range)) and \
            not issubclass(tp, (str, bytes))

    def coerce(self, x: Any, request: Request) -> tuple[Any, Adapter, str | None]:
        try:
            array = np.array(x)
        except (ValueError, TypeError, RuntimeError) as exc:
            raise NotAnArrayError(_unreadable(x, exc)) from exc
        array = _fit_target(x, array, request.target)
        if array.dtype.kind in "US" and not _only(x, str if array.dtype.kind == "U" else bytes):
            raise NotAnArrayError(
                f"This {type(x).__name__} mixes strings with other values; NumPy would turn "
                "every value into a string. Convert the values to one kind first."
            )
        if array.dtype == object:
            if _only(x, int):
                raise UnsupportedDtypeError(
                    f"This {type(x).__name__} holds an integer too large for int64 (and "
                    "uint64), e.g. 2**70: no array dtype holds it exactly. Use Python ints "
                    "within +-2**63, or floats if rounding is acceptable.")
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
    """True when every leaf of a nest of lists/tuples is a ``kind`` (str, bytes, int)."""
    if isinstance(x, list | tuple):
        return all(_only(item, kind) for item in x)
    return isinstance(x, kind) and not (kind is int and isinstance(x, bool))


def _unreadable(x: Any, exc: Exception) -> str:
    leaves = {type(v).__module__.split(".")[0] for v in (x if isinstance(x, list | tuple) else ())}
    if leaves - {"builtins"}:
        return (f"This {type(x).__name__} holds arrays, and NumPy could not read them as one "
                f"array ({type(exc).__name__}: {exc}). Convert each element with "
                "interop.to_each(x, target) (tensors that require grad are detached there), "
                "or stack them in their own framework first.")
    return (f"This {type(x).__name__} is not a rectangular nest of numbers, so it is not an "
            f"array: {exc}")


def _fit_target(x: Any, array: np.ndarray, target: Adapter) -> np.ndarray:
    """Python ints for a target without int64: int32 when every value fits, as jnp does."""
    if array.dtype not in (np.int64, np.float64) or target.host_hub:
        return array
    try:
        target.check_dtype(array.dtype.name)
    except UnsupportedDtypeError:
        if array.dtype == np.int64 and array.size and np.iinfo(np.int32).min <= array.min() \
                and array.max() <= np.iinfo(np.int32).max:
            return array.astype(np.int32)
        if array.dtype == np.int64 and not array.size:
            return array.astype(np.int32)
        kind = "ints" if array.dtype == np.int64 else "floats"
        raise UnsupportedDtypeError(
            f"Python {kind} are {array.dtype} here (x is a {type(x).__name__}), and "
            f"{target.name} cannot hold {array.dtype} as it is configured. Build the array "
            f"yourself, e.g. np.asarray(x, dtype=np.{'int32' if kind == 'ints' else 'float32'}) "
            f"(values {'must fit' if kind == 'ints' else 'are rounded to'} 32 bits), or enable "
            "64-bit mode (JAX_ENABLE_X64=1).") from None
    return array


def _is_buffer(tp: type) -> bool:
    return tp in (bytes, bytearray, memoryview) or tp.__module__ == "array"
