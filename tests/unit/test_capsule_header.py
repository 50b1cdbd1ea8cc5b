"""The two capsule readers (C ``capsule_header`` and the ctypes fallback) read the same fields.

``_dlpack.read_capsule`` validates whatever its reader returns, so the two must agree
field for field on every kind of capsule, malformed ones included.
"""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

from interop import _dlpack
from interop._accel import exchange
from interop._errors import InteropError

pytestmark = pytest.mark.skipif(exchange is None, reason="interop._exchange is not built here")


def _arrays() -> list[np.ndarray]:
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    read_only = np.arange(5, dtype=np.int16)
    read_only.flags.writeable = False
    return [a, a[:, ::2], a[::-1], a.transpose(2, 0, 1), np.full((), 2.5),
            np.zeros((0, 3), dtype=np.complex64), read_only, np.array([True, False, True])]


@pytest.mark.parametrize("versioned", [True, False], ids=["versioned", "legacy"])
@pytest.mark.parametrize("index", range(len(_arrays())))
def test_readers_agree(index: int, versioned: bool) -> None:
    array = _arrays()[index]
    if not versioned and not array.flags.writeable:
        pytest.skip("NumPy exports read-only memory only in versioned capsules")
    capsule = array.__dlpack__(max_version=(1, 0)) if versioned else array.__dlpack__()
    name = _dlpack.capsule_name(capsule)
    assert (name == "dltensor_versioned") is versioned
    ours = exchange.capsule_header(capsule, name, versioned, _dlpack.MAX_NDIM)
    assert ours == _dlpack._header_ctypes(capsule, name, versioned, _dlpack.MAX_NDIM)
    info = _dlpack.read_capsule(capsule)
    assert info.shape == array.shape
    assert info.data == array.__array_interface__["data"][0]
    assert info.read_only is not array.flags.writeable
    if info.strides is not None and array.size:
        assert info.strides == array.strides


def _corrupt(ndim: int, null_shape: bool, byte_offset: int = 0) -> object:
    """A versioned capsule of a hand-built tensor (kept alive by the returned pair)."""
    managed = _dlpack._DLManagedTensorVersioned()
    managed.version.major, managed.version.minor = 1, 0
    shape = (ctypes.c_int64 * 2)(2, 2)
    managed.dl_tensor.ndim = ndim
    managed.dl_tensor.shape = None if null_shape else ctypes.cast(shape, ctypes.POINTER(
        ctypes.c_int64))
    managed.dl_tensor.dtype.code, managed.dl_tensor.dtype.bits = 2, 32
    managed.dl_tensor.dtype.lanes = 1
    managed.dl_tensor.device.device_type = 1
    managed.dl_tensor.byte_offset = byte_offset  # NULL data plus an offset is still NULL
    new = ctypes.pythonapi.PyCapsule_New
    new.restype, new.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.c_char_p,
                                                   ctypes.c_void_p]
    capsule = new(ctypes.addressof(managed), b"dltensor_versioned", None)
    return capsule, managed, shape


@pytest.mark.parametrize(("ndim", "null_shape", "offset", "words"), [
    (1000, False, 0, "1000 dimensions"), (-1, False, 0, "-1 dimensions"),
    (2, True, 0, "no shape array"), (2, False, 0, "NULL data pointer"),
    (0, False, 16, "NULL data pointer")])
def test_corrupt_capsules_are_refused_by_both_readers(ndim: int, null_shape: bool,
                                                      offset: int, words: str) -> None:
    capsule, *_keep = _corrupt(ndim, null_shape, offset)
    header = exchange.capsule_header(capsule, "dltensor_versioned", True, _dlpack.MAX_NDIM)
    assert header == _dlpack._header_ctypes(capsule, "dltensor_versioned", True,
                                            _dlpack.MAX_NDIM)
    with pytest.raises(InteropError, match=words):
        _dlpack.read_capsule(capsule)
