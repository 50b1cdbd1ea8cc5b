"""Capsules built from arbitrary field values, fed to every installed consumer through interop.

Run as a script (``test_edges.py`` runs it in a subprocess, so that an abort or a segfault
fails the test instead of killing the run).  The data pointer is NULL or points into a
buffer this script owns and keeps alive, and shapes and strides stay inside that buffer:
only the metadata lies.  Every conversion must return or raise an ``InteropError``.

    python tests/capsule_fuzz.py EXAMPLES     # prints "ran N inputs"
"""

from __future__ import annotations

import contextlib
import ctypes
import sys
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import interop

BUFFER = np.zeros(1 << 14, dtype=np.uint8)  # the memory every capsule may point into
_keep: list[Any] = []  # ctypes structs must outlive their capsules


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


class DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", DLTensor), ("manager_ctx", ctypes.c_void_p),
                ("deleter", ctypes.c_void_p)]


class DLPackVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class DLManagedTensorVersioned(ctypes.Structure):
    _fields_ = [("version", DLPackVersion), ("manager_ctx", ctypes.c_void_p),
                ("deleter", ctypes.c_void_p), ("flags", ctypes.c_uint64),
                ("dl_tensor", DLTensor)]


DELETER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(lambda _: None)  # frees nothing
_new = ctypes.pythonapi.PyCapsule_New
_new.restype, _new.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]


def build(fields: dict[str, Any]) -> object:
    """A PyCapsule around a DLManagedTensor(Versioned) with exactly these field values."""
    ndim_claimed = fields["ndim"]
    dims = fields["shape"]
    shape = (ctypes.c_int64 * max(len(dims), 1))(*dims)
    strides = None
    if fields["strides"] is not None:
        strides = (ctypes.c_int64 * max(len(dims), 1))(*fields["strides"])
    data = None if fields["null_data"] else BUFFER.ctypes.data + fields["data_offset"]
    tensor = DLTensor(data, DLDevice(fields["device_type"], fields["device_id"]), ndim_claimed,
                      DLDataType(fields["code"], fields["bits"], fields["lanes"]),
                      ctypes.cast(shape, ctypes.POINTER(ctypes.c_int64)),
                      ctypes.cast(strides, ctypes.POINTER(ctypes.c_int64)) if strides else None,
                      fields["byte_offset"])
    deleter = ctypes.cast(DELETER, ctypes.c_void_p).value if fields["deleter"] else None
    if fields["versioned"]:
        managed: Any = DLManagedTensorVersioned(DLPackVersion(fields["major"], fields["minor"]),
                                                None, deleter, fields["flags"], tensor)
        name = b"dltensor_versioned"
    else:
        managed = DLManagedTensor(tensor, None, deleter)
        name = b"dltensor"
    _keep.extend([managed, shape, strides])
    return _new(ctypes.addressof(managed), name, None)


def _fields() -> st.SearchStrategy[dict[str, Any]]:
    ndim = st.integers(0, 3)

    def with_ndim(n: int) -> st.SearchStrategy[dict[str, Any]]:
        dim = st.integers(-2, 4)
        return st.fixed_dictionaries({
            "ndim": st.one_of(st.just(n), st.sampled_from([-1, -100, 65, 1 << 20])),
            "shape": st.lists(dim, min_size=n, max_size=n),
            "strides": st.one_of(st.none(), st.lists(st.integers(-16, 16), min_size=n,
                                                     max_size=n)),
            "null_data": st.booleans(),
            "data_offset": st.integers(6000, 8000),
            "byte_offset": st.sampled_from([0, 0, 8, 16]),
            "device_type": st.sampled_from([1, 1, 1, 2, 3, 13, 99, -1]),
            "device_id": st.integers(-1, 2),
            "code": st.integers(0, 20),
            "bits": st.sampled_from([0, 1, 4, 8, 16, 32, 64, 128, 7, 255]),
            "lanes": st.sampled_from([1, 1, 1, 0, 2, 4]),
            "versioned": st.booleans(),
            "major": st.sampled_from([1, 1, 0, 2]),
            "minor": st.integers(0, 5),
            "flags": st.sampled_from([0, 1, 2, 3, 4, 1 << 40]),
            "deleter": st.booleans(),
        })
    return ndim.flatmap(with_ndim)


TARGETS = [name for name in ("numpy", "torch", "jax", "array_api_strict")
           if name == "numpy" or __import__("importlib").util.find_spec(name)]
ran = 0


def main(examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(fields=_fields(), target=st.sampled_from(TARGETS),
           copy=st.sampled_from([None, True, False]))
    def fuzz(fields: dict[str, Any], target: str, copy: bool | None) -> None:
        global ran
        ran += 1
        capsule = build(fields)
        for call in (lambda: interop.explain(capsule, target, copy=copy),
                     lambda: interop.shares_memory(capsule, BUFFER),
                     lambda: interop.to(capsule, target, copy=copy)):
            with contextlib.suppress(interop.InteropError):
                call()

    fuzz()
    print(f"ran {ran} inputs")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
