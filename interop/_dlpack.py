"""DLPack negotiation: call a producer's ``__dlpack__``, read the capsule, hand it on.

The layer always calls the producer itself, so that it alone decides the
stream, the version and whether the producer may copy.  Capsules are read in C
where the extension is built, else with ``ctypes`` (metadata only: nothing is copied),
and wrapped in a one-shot ``CapsuleProducer`` that any consumer's ``from_dlpack`` accepts.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._accel import exchange
from ._dtypes import from_dlpack_code
from ._errors import InteropError

__all__ = ["MAX_VERSION", "CapsuleInfo", "CapsuleProducer", "negotiate", "read_capsule"]

#: The newest DLPack version interop reads (any 1.x shares the 1.0 struct layout).
MAX_VERSION = (1, 1)
READ_ONLY_FLAG = 1 << 0
IS_COPIED_FLAG = 1 << 1
#: One sub-byte value per byte (DLPack 1.1); without it, sub-byte data is packed.
SUBBYTE_PADDED_FLAG = 1 << 2
_NEW_KEYWORDS = ("max_version", "dl_device", "copy")


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p), ("device", _DLDevice), ("ndim", ctypes.c_int32),
        ("dtype", _DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64),
    ]


class _DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", _DLTensor), ("manager_ctx", ctypes.c_void_p),
                ("deleter", ctypes.c_void_p)]


class _DLPackVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class _DLManagedTensorVersioned(ctypes.Structure):
    _fields_ = [("version", _DLPackVersion), ("manager_ctx", ctypes.c_void_p),
                ("deleter", ctypes.c_void_p), ("flags", ctypes.c_uint64),
                ("dl_tensor", _DLTensor)]


_get_name = ctypes.pythonapi.PyCapsule_GetName
_get_name.restype, _get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
_get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_get_pointer.restype, _get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]


def _capsule_type() -> type:
    new = ctypes.pythonapi.PyCapsule_New
    new.restype = ctypes.py_object
    new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    return type(new(1, None, None))


CAPSULE_TYPE: type = _capsule_type()


@dataclass(slots=True)
class CapsuleInfo:
    """What a DLPack capsule describes; byte strides, ``None`` for compact C order.

    A record nothing changes; not ``frozen``, whose construction costs four times as much.
    """

    versioned: bool
    version: tuple[int, int]
    read_only: bool
    copied: bool
    device: tuple[int, int]
    dtype: str
    shape: tuple[int, ...]
    strides: tuple[int, ...] | None
    data: int
    itemsize: int
    #: DLPack allows a NULL deleter (nothing to free); some consumers (JAX) abort on it.
    null_deleter: bool = False
    size: int = 0


def capsule_name(capsule: object) -> str:
    """``"dltensor"``, ``"dltensor_versioned"``, or ``"used_..."`` once consumed."""
    if exchange is not None:
        name: str = exchange.capsule_name(capsule)  # ctypes' call costs more than the rest
        return name
    raw = _get_name(capsule)
    return raw.decode() if raw else ""


def read_capsule(capsule: object, name: str | None = None) -> CapsuleInfo:
    """Read a capsule's metadata without consuming it; refuse unknown major versions.

    ``name`` is the capsule's own name when it is claimed (renamed) by a conversion.
    """
    claimed = name is not None
    name = name or capsule_name(capsule)
    if name not in _UNUSED:
        raise InteropError(
            f"This DLPack capsule is named {name!r}: it was already consumed. A capsule can be "
            "imported once; ask the producer for a new one with x.__dlpack__()."
        )
    versioned = name == "dltensor_versioned"
    return _info(_read_header(capsule, _CLAIMED_NAME[name] if claimed else name, versioned,
                              MAX_NDIM), versioned)


#: More dimensions than any framework supports: the capsule is corrupt.
MAX_NDIM = 64

#: (major, minor, flags, has_deleter, ndim, code, bits, lanes, device_type, device_id,
#: shape, byte strides, data, byte_offset): what ``_info`` validates.
Header = tuple[Any, ...]


def _header_ctypes(capsule: object, name: str, versioned: bool, max_ndim: int) -> Header:
    """The raw capsule fields through ctypes (the C extension's ``capsule_header`` when built)."""
    address = _get_pointer(capsule, name.encode())
    if versioned:
        version = _DLPackVersion.from_address(address)
        if version.major != 1:
            return (version.major, version.minor, *(None,) * 12)
        managed: Any = _DLManagedTensorVersioned.from_address(address)
        major, minor, flags = 1, version.minor, managed.flags
    else:
        managed = _DLManagedTensor.from_address(address)
        major, minor, flags = 0, 0, 0
    t = managed.dl_tensor
    itemsize = max(t.dtype.bits // 8, 1)
    shape = strides = None
    if 0 <= t.ndim <= max_ndim and (t.ndim == 0 or t.shape):
        shape = tuple(int(t.shape[i]) for i in range(t.ndim))
        if t.strides:
            strides = tuple(int(t.strides[i]) * itemsize for i in range(t.ndim))
    return (major, minor, flags, bool(managed.deleter), t.ndim, t.dtype.code, t.dtype.bits,
            t.dtype.lanes, t.device.device_type, t.device.device_id, shape, strides,
            t.data or 0, t.byte_offset)


_read_header: Callable[[object, str, bool, int], Header] = (
    exchange.capsule_header if exchange is not None else _header_ctypes)


def _info(header: Header, versioned: bool) -> CapsuleInfo:
    """Validate the tensor a capsule describes, before any consumer sees it."""
    (major, minor, flags, has_deleter, ndim, code, bits, lanes, device_type, device_id,
     shape, strides, data, byte_offset) = header
    if versioned and major != 1:
        raise InteropError(
            f"The producer exported DLPack {major}.{minor}; interop reads "
            "DLPack 1.x only. Upgrade interop, or ask the producer for max_version=(1, 0)."
        )
    if not 0 <= ndim <= MAX_NDIM:
        raise InteropError(f"This DLPack capsule claims {ndim} dimensions; a valid tensor has "
                           f"0 to {MAX_NDIM}. The producer exported a corrupt capsule.")
    if shape is None:
        raise InteropError("This DLPack capsule has dimensions but no shape array (NULL).")
    dtype = from_dlpack_code(code, bits, lanes, padded=bool(flags & SUBBYTE_PADDED_FLAG))
    _device_check(device_type)
    size = 1
    for n in shape:
        if n < 0:
            raise InteropError(f"This DLPack capsule has a negative dimension: shape {shape}.")
        size *= n
    if size and not data:  # NULL plus an offset is still NULL: never read from it
        raise InteropError(f"This DLPack capsule describes {size} element(s) at a NULL data "
                           "pointer; the producer exported a corrupt capsule.")
    # positional, in field order (a keyword class call costs a dict on 3.11)
    return CapsuleInfo(versioned, (1, minor) if versioned else (0, 0),
                       bool(flags & READ_ONLY_FLAG), bool(flags & IS_COPIED_FLAG),
                       (device_type, device_id), dtype, shape, strides, data + byte_offset,
                       max(bits // 8, 1), not has_deleter, size)


def _device_check(code: int) -> None:
    from ._devices import Device

    Device.from_dlpack((code, 0))  # UnsupportedDeviceError for unknown device types


_handout = threading.Lock()
_UNUSED = ("dltensor", "dltensor_versioned")
# names a capsule carries while one conversion owns it (static: a capsule keeps the pointer)
_CLAIMED_NAME = {name: f"interop.claimed.{name}" for name in _UNUSED}
_CLAIMED = {name: ctypes.c_char_p(claimed.encode()) for name, claimed in _CLAIMED_NAME.items()}
_ORIGINAL = {name: ctypes.c_char_p(name.encode()) for name in _UNUSED}
_set_name = ctypes.pythonapi.PyCapsule_SetName
_set_name.restype, _set_name.argtypes = ctypes.c_int, [ctypes.py_object, ctypes.c_void_p]


def claim(capsule: object) -> str:
    """Take a caller's raw capsule for one conversion; a second claimant gets an error.

    The capsule is renamed while claimed (no consumer accepts it under that name) and
    renamed back by ``unclaim`` just before it is handed on, or when the conversion fails.
    """
    with _handout:
        name = capsule_name(capsule)
        if name not in _UNUSED:
            raise InteropError(
                f"This DLPack capsule is named {name!r}: it was already consumed, or another "
                "thread is converting it right now. A capsule can be imported once."
            )
        _set_name(capsule, ctypes.cast(_CLAIMED[name], ctypes.c_void_p))
    return name


def unclaim(capsule: object, name: str) -> None:
    """Give a claimed capsule its own name back."""
    _set_name(capsule, ctypes.cast(_ORIGINAL[name], ctypes.c_void_p))


class CapsuleProducer:
    """Presents an already-made capsule through ``__dlpack__`` so any ``from_dlpack`` takes it.

    It hands the capsule out once: a second ``__dlpack__`` call is an error, never a
    double free.
    """

    __slots__ = ("_capsule", "_device")

    def __init__(self, capsule: object, device: tuple[int, int]) -> None:
        self._capsule: object | None = capsule
        self._device = device

    def __dlpack__(self, *, stream: Any = None, max_version: Any = None,
                   dl_device: Any = None, copy: Any = None) -> Any:
        with _handout:  # two threads never both get it
            capsule, self._capsule = self._capsule, None
        if capsule is None:
            raise InteropError("This DLPack capsule was already handed to a consumer.")
        return capsule

    def give_back(self, capsule: object) -> None:
        """A consumer failed before consuming: the capsule can be offered again."""
        with _handout:
            if self._capsule is None and capsule_name(capsule) in _UNUSED:
                self._capsule = capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._device


@dataclass(slots=True)
class Negotiated:
    """A capsule and whether the producer honoured the ``copy``/``dl_device`` request."""

    capsule: object
    honoured: bool


def negotiate(producer: Any, *, stream: Any, versioned: bool = True,
              copy: bool | None = None, dl_device: tuple[int, int] | None = None) -> Negotiated:
    """Call ``producer.__dlpack__`` with the newest keywords it accepts.

    Legacy producers take only ``stream``: on the ``TypeError`` about the newer keywords
    the call is retried without them and ``honoured`` is False, so the caller copies or
    moves the data itself.
    """
    kwargs: dict[str, Any] = {"stream": stream}
    if versioned:
        kwargs["max_version"] = MAX_VERSION
    if copy is not None:
        kwargs["copy"] = copy
    if dl_device is not None:
        kwargs["dl_device"] = dl_device
    if len(kwargs) > 1:
        try:
            return Negotiated(producer.__dlpack__(**kwargs), True)
        except TypeError as exc:
            if not _about_arguments(exc):
                raise
    return Negotiated(_legacy_call(producer, stream), len(kwargs) == 1)


def _about_arguments(exc: TypeError) -> bool:
    text = str(exc)
    return any(word in text for word in (*_NEW_KEYWORDS, "keyword", "argument"))


def _legacy_call(producer: Any, stream: Any) -> Any:
    """``stream`` as a keyword, then positionally, then no argument (as NumPy does)."""
    try:
        return producer.__dlpack__(stream=stream)
    except TypeError as exc:
        if not _about_arguments(exc):
            raise
    try:
        return producer.__dlpack__(stream)
    except TypeError as exc:
        if not _about_arguments(exc) or stream is not None:
            raise
    return producer.__dlpack__()


def device_of(producer: Any) -> tuple[int, int]:
    """The producer's ``__dlpack_device__()`` as plain ints."""
    code, index = producer.__dlpack_device__()
    return int(code), int(index)


def retype_capsule(capsule: object, dtype: str) -> object:
    """Relabel an unconsumed capsule's dtype (same width) so NumPy can import it.

    NumPy cannot import bfloat16/float8 through DLPack; interop owns the capsule
    until it is consumed, so it rewrites the type code to the same-width unsigned
    integer and views the result as the ``ml_dtypes`` type afterwards.
    """
    from ._dtypes import DLPACK_CODES

    name = capsule_name(capsule)
    address = _get_pointer(capsule, name.encode())
    if name == "dltensor":
        tensor = _DLManagedTensor.from_address(address).dl_tensor
    else:
        tensor = _DLManagedTensorVersioned.from_address(address).dl_tensor
    code, bits = DLPACK_CODES[dtype]
    tensor.dtype.code, tensor.dtype.bits = code, bits
    return capsule
