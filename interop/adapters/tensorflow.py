"""TensorFlow: immutable tensors, legacy-only DLPack, row-major (C order) tensors only.

* Tensors (and variables, read as a snapshot) are immutable, so TF is a read-only
  source: writable targets (torch, cupy, paddle) get a copy under ``copy=None`` and
  ``CopyRequiredError`` under ``copy=False``; NumPy gets a read-only view.
* TF aborts the process (SIGABRT) when asked to export a string (or resource/variant)
  tensor through DLPack, so ``describe`` checks the dtype against a table first and
  nothing outside it is ever exported.
* As a target TF reads only legacy ``dltensor`` capsules of C-ordered memory.  A
  transposed or strided view, or read-only NumPy memory (NumPy cannot export it as a
  legacy capsule), is copied on import (``may_copy_on_import``), and ``copy=False``
  checks the result's address after the fact, as for JAX.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from .._adapter import Adapter, ArrayInfo
from .._devices import CPU, Device
from .._dlpack import CapsuleProducer, negotiate, read_capsule
from .._dtypes import EXTENDED, numpy_name, same_width_uint
from .._errors import InteropError, UnsupportedDeviceError, UnsupportedDtypeError
from .._layout import c_strides, native_contiguous
from ._views import canonical_name, compact_info, host_view_of

__all__ = ["TensorFlowAdapter"]

_NAMES: dict[Any, str] = {
    tf.bool: "bool", tf.int8: "int8", tf.int16: "int16", tf.int32: "int32", tf.int64: "int64",
    tf.uint8: "uint8", tf.uint16: "uint16", tf.uint32: "uint32", tf.uint64: "uint64",
    tf.float16: "float16", tf.float32: "float32", tf.float64: "float64",
    tf.bfloat16: "bfloat16", tf.complex64: "complex64", tf.complex128: "complex128",
}
_DTYPES = {name: dtype for dtype, name in _NAMES.items()}
_EAGER = type(tf.constant(0))


def _device(spec: str) -> Device:
    """``/job:localhost/replica:0/task:0/device:GPU:1`` -> ``cuda:1``; ``CPU:0`` -> ``cpu``."""
    if not spec:
        return CPU  # TF leaves the device of some host tensors unset
    tail = spec.rsplit("/", 1)[-1].removeprefix("device:")
    kind, _, index = tail.rpartition(":")
    kind = kind.upper()
    if kind == "CPU":
        return CPU
    if kind == "GPU" and index.isdigit():
        return Device("cuda", int(index))
    raise UnsupportedDeviceError(
        f"This TensorFlow tensor is on {spec!r}; interop exchanges CPU and GPU tensors only. "
        "Copy it first, e.g. with tf.device('/CPU:0'): tf.identity(x).")


def _eager(x: Any) -> Any:
    """The eager tensor holding ``x``'s values (a variable's current value, not copied)."""
    if isinstance(x, tf.Variable):
        return x.value()
    if not isinstance(x, _EAGER):
        raise InteropError(
            "This TensorFlow tensor is symbolic (inside tf.function or a Keras graph): it has "
            "no values yet. Convert eager tensors, e.g. the result of calling the function.")
    return x


#: How to get a dtype this framework cannot exchange into one it can.
_FIX = (
    'string, resource, variant and quantized tensors cannot be exchanged (TF would '
    'abort the process exporting a string tensor). Convert it first, e.g. tf.cast(x, '
    'tf.float32), or tf.strings.to_number(x).')


def _name(x: Any) -> str:
    return canonical_name(_NAMES, x.dtype, "TensorFlow", _FIX)


class TensorFlowAdapter(Adapter):
    name = "tensorflow"
    target_modules = ("tensorflow", "tf")
    immutable = True  # tensors never change; writable targets must not alias them
    holds_read_only = True  # ... and TF never writes to memory it imports
    dlpack_versioned = False  # tf.experimental.dlpack.from_dlpack reads "dltensor" only
    negative_strides = False
    compact_only = True
    may_copy_on_import = True  # non-C-ordered or read-only host memory is copied in

    def owns(self, tp: type) -> bool:
        return issubclass(tp, (tf.Tensor, tf.Variable))

    def namespace(self) -> Any:
        return tf

    def describe(self, x: Any) -> ArrayInfo:
        t = _eager(x)
        name = _name(t)  # before any export: a string tensor must never reach __dlpack__
        shape = tuple(int(n) for n in t.shape)
        return compact_info(name, shape, t.dtype.size, device=_device(t.device))

    def device_of(self, x: Any) -> Device:
        return _device(x.device)

    def route_key(self, x: Any) -> Any:
        """dtype, device, emptiness: TF tensors are always compact and C-ordered."""
        return (x.dtype, x.device, type(x), x.shape.num_elements() == 0)

    def dlpack_producer(self, x: Any) -> Any:
        t = _eager(x)
        _name(t)
        return t

    def host_view(self, x: Any) -> np.ndarray:
        t = _eager(x)
        return host_view_of(t, _name(t))  # read-only: TF's legacy capsules carry no flag

    def data_pointer(self, x: Any) -> int | None:
        if not self.device_of(x).is_host or x.shape.num_elements() == 0:
            return None
        return int(self.host_view(x).__array_interface__["data"][0])

    # -- target side ------------------------------------------------------------------
    def check_dtype(self, dtype: str) -> None:
        if dtype not in _DTYPES:
            raise UnsupportedDtypeError(f"TensorFlow has no {dtype} dtype that DLPack can carry.")

    def check_device(self, device: Device) -> Device:
        if device.kind == "cpu":
            return CPU
        gpus = tf.config.list_logical_devices("GPU")
        index = 0 if device.index is None else device.index
        if device.kind == "cuda" and index < len(gpus):
            return Device("cuda", index)
        raise UnsupportedDeviceError(
            f"TensorFlow has no {device} device here (it sees {len(gpus)} GPU(s)). Use "
            "device='cpu' or install a GPU build of tensorflow.")

    def from_dlpack(self, producer: Any) -> Any:
        capsule = producer.__dlpack__()
        info = read_capsule(capsule)
        pair = info.device
        c_order = info.strides is None or info.strides == c_strides(info.shape, info.itemsize)
        if c_order or pair[0] != 1 or 0 in info.shape:
            if info.dtype in EXTENDED and info.dtype != "bfloat16":
                return self.from_numpy(host_view_of(CapsuleProducer(capsule, pair), info.dtype))
            return tf.experimental.dlpack.from_dlpack(capsule)
        # TF tensors are row-major: any other host layout is copied into C order
        return self.from_numpy(host_view_of(CapsuleProducer(capsule, pair), info.dtype))

    def from_numpy(self, array: np.ndarray) -> Any:
        name = numpy_name(array.dtype)
        if not (array.flags.c_contiguous and array.flags.writeable and array.dtype.isnative):
            array = np.array(array, dtype=array.dtype.newbyteorder("="), order="C")
        if name in EXTENDED:  # NumPy exports these as same-width integers; TF bitcasts back
            raw = array.view(same_width_uint(name))
            capsule = negotiate(raw, stream=None, versioned=False).capsule
            return tf.bitcast(tf.experimental.dlpack.from_dlpack(capsule), _DTYPES[name])
        capsule = negotiate(array, stream=None, versioned=False).capsule
        return tf.experimental.dlpack.from_dlpack(capsule)

    def copy_from_numpy(self, view: np.ndarray) -> Any:
        """One copy into a new C-ordered buffer, which TF then aliases."""
        return self.from_numpy(np.array(view, dtype=view.dtype.newbyteorder("="), order="C"))

    def from_host(self, view: np.ndarray, device: Device, stream: Any) -> Any:
        with tf.device(f"/GPU:{device.index or 0}"):
            return tf.identity(self.from_numpy(native_contiguous(view)))

    def to_host(self, x: Any, stream: Any) -> np.ndarray:
        with tf.device("/CPU:0"):
            host = tf.identity(_eager(x))
        return np.array(self.host_view(host))
