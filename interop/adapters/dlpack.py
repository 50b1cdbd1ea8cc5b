"""Protocol adapters for any DLPack producer and for raw DLPack capsules.

The producer is called once, with the stream the consumer needs; the capsule
is read (dtype, layout, device, READ_ONLY flag) and then travels as a
``CapsuleArray`` that hands it to exactly one consumer.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from .._adapter import Adapter, ArrayInfo, Request
from .._devices import CPU, Device, is_host_readable
from .._dlpack import (
    CAPSULE_TYPE,
    CapsuleInfo,
    CapsuleProducer,
    claim,
    device_of,
    negotiate,
    read_capsule,
    unclaim,
)
from .._errors import CopyRequiredError, InteropError
from .._layout import c_strides, layout_bits
from .._streams import resolve_stream
from ._views import host_view_of

__all__ = ["CapsuleAdapter", "CapsuleArray", "DLPackAdapter"]


class CapsuleArray(CapsuleProducer):
    """A negotiated capsule plus what it says about itself.

    For a caller's raw capsule, ``claimed`` is its own name while this conversion owns it
    (see ``_dlpack.claim``): the name is restored when the capsule is handed on, given up,
    or dropped unconsumed.
    """

    __slots__ = ("claimed", "info")

    def __init__(self, capsule: object, info: CapsuleInfo, claimed: str | None = None) -> None:
        super().__init__(capsule, info.device)
        self.info = info
        self.claimed = claimed

    def __dlpack__(self, *, stream: Any = None, max_version: Any = None,
                   dl_device: Any = None, copy: Any = None) -> Any:
        capsule = super().__dlpack__()
        if self.claimed is not None:
            unclaim(capsule, self.claimed)
            self.claimed = None
        return capsule

    def release(self) -> None:
        """The conversion failed before handing the capsule on: the caller keeps it intact."""
        capsule = self._capsule
        if capsule is not None and self.claimed is not None:
            unclaim(capsule, self.claimed)
            self.claimed = None

    def __del__(self) -> None:
        self.release()


class CapsuleAdapter(Adapter):
    """Raw ``PyCapsule`` objects named ``dltensor``/``dltensor_versioned``; usable once."""

    name = "capsule"

    def owns(self, tp: type) -> bool:
        return tp is CAPSULE_TYPE or issubclass(tp, CapsuleArray)

    def coerce(self, x: Any, request: Request) -> tuple[Any, Adapter, str | None]:
        if isinstance(x, CapsuleArray):
            return x, self, None
        info = read_capsule(x)  # validated before anyone may consume it
        if request.explaining:
            return CapsuleArray(x, info), self, None  # read only: never handed on
        return CapsuleArray(x, info, claimed=claim(x)), self, None

    def describe(self, x: Any) -> ArrayInfo:
        info: CapsuleInfo = x.info
        strides = info.strides if info.strides is not None else c_strides(info.shape, info.itemsize)
        # positional (dtype, shape, strides, itemsize, device, read_only): no keyword dict
        return ArrayInfo(info.dtype, info.shape, strides, info.itemsize, _device(info.device),
                         info.read_only)

    def route_key(self, x: Any) -> Any:
        """What ``describe`` reports that a plan reads, straight from the capsule's facts.

        A capsule has no byte order, autograd graph or lazy bits to report; ``IS_COPIED``
        decides whether ``copy=False`` is refused.
        """
        info: CapsuleInfo = x.info
        layout = 0 if info.strides is None else layout_bits(info.shape, info.strides,
                                                             info.itemsize)
        return info.dtype, info.device, info.read_only, info.copied, layout, info.size == 0

    def device_of(self, x: Any) -> Device:
        info = x.info if isinstance(x, CapsuleArray) else read_capsule(x)
        return _device(info.device)

    def data_pointer(self, x: Any) -> int | None:
        return int(x.info.data)  # never through a view: that would consume the capsule

    def host_view(self, x: Any) -> np.ndarray:
        return host_view_of(x, x.info.dtype)  # extended dtypes through a same-width view

    def peek_view(self, x: Any) -> np.ndarray | None:
        """Bytes of host memory as a NumPy view, *without* consuming the capsule.

        For ``shares_memory``: each element is ``itemsize`` raw bytes (a trailing axis).
        """
        info: CapsuleInfo = x.info
        if not is_host_readable(info.device) or not info.size:
            return None
        strides = info.strides if info.strides is not None else c_strides(info.shape,
                                                                          info.itemsize)
        pairs = list(zip(strides, info.shape, strict=True))
        low = info.data + sum(s * (n - 1) for s, n in pairs if s < 0)
        high = info.data + sum(s * (n - 1) for s, n in pairs if s > 0) + info.itemsize
        memory = memoryview((ctypes.c_char * (high - low)).from_address(low)).cast("B")
        raw = np.frombuffer(memory, dtype=np.uint8)
        return np.lib.stride_tricks.as_strided(
            raw[info.data - low:], shape=(*info.shape, info.itemsize), strides=(*strides, 1),
            writeable=False)


class DLPackAdapter(CapsuleAdapter):
    """Any object with ``__dlpack__`` and ``__dlpack_device__``."""

    name = "dlpack"

    def owns(self, tp: type) -> bool:
        return hasattr(tp, "__dlpack__") and hasattr(tp, "__dlpack_device__")

    def coerce(self, x: Any, request: Request) -> tuple[Any, Adapter, str | None]:
        pair = device_of(x)
        source = _device(pair)
        if request.explaining:  # metadata only: no copy, no move, no stream to order
            negotiated = negotiate(x, stream=None if source.is_host else -1)
            return CapsuleArray(negotiated.capsule, read_capsule(negotiated.capsule)), self, None
        target = request.device or (source if request.target.can_hold(source)
                                    else request.target.default_device())
        if target.is_host and not source.is_host:
            return self._to_host(x, pair, request)
        consumer_stream = None if target.is_host else request.target.current_stream(target)
        stream = resolve_stream(request.stream, pair, consumer_stream)
        negotiated = negotiate(x, stream=stream, copy=False if request.copy is False else None,
                               versioned=request.target.dlpack_versioned)
        return self.checked(negotiated, request), self, None

    def checked(self, negotiated: Any, request: Request) -> CapsuleArray:
        """``copy=False`` is a promise: a producer that copied anyway (IS_COPIED) breaks it."""
        info = read_capsule(negotiated.capsule)
        if request.copy is False and info.copied:
            raise CopyRequiredError(
                "copy=False, but the producer copied the data (its capsule says IS_COPIED), so "
                "the result would not share memory with it. Pass copy=None to accept the copy.",
                ("the producer copied the data",))
        return CapsuleArray(negotiated.capsule, info)

    def _to_host(self, x: Any, pair: tuple[int, int],
                 request: Request) -> tuple[Any, Adapter, str | None]:
        """Device data wanted on the host: the producer copies it (``dl_device=CPU``)."""
        if request.copy is False:
            raise CopyRequiredError(
                f"copy=False, but the data is on {_device(pair)} and the result must be in host "
                "memory. Pass copy=None to allow the device-to-host copy."
            )
        if request.stream is not None:
            resolve_stream(request.stream, pair, None)  # still refuse a stream that is wrong
        # DLPack allows only stream=None with dl_device=CPU: the producer orders its own copy
        negotiated = negotiate(x, stream=None, copy=True, dl_device=CPU.dlpack)
        if not negotiated.honoured:
            raise InteropError(
                f"This {type(x).__name__} holds {_device(pair)} memory and its __dlpack__ is too "
                "old to copy to the host (no dl_device keyword). Copy it to the host with the "
                "producing library first."
            )
        info = read_capsule(negotiated.capsule)
        if not is_host_readable(info.device):
            raise InteropError(
                f"This {type(x).__name__} was asked for a host copy (dl_device=CPU) but exported "
                f"{_device(info.device)} memory. Copy it to the host with the producing library.")
        if not info.copied:
            # the capsule, not the claim, is trusted: without IS_COPIED this may be the
            # producer's own host memory, so copy=True still makes its own copy
            return CapsuleArray(negotiated.capsule, info), self, None
        return (CapsuleArray(negotiated.capsule, info), self,
                f"the data was on {_device(pair)}: the producer copied it to host memory")

    def device_of(self, x: Any) -> Device:
        if isinstance(x, CapsuleArray):
            return _device(x.info.device)
        return _device(device_of(x))


def _device(pair: tuple[int, int]) -> Device:
    return CPU if is_host_readable(pair) else Device.from_dlpack(pair)

