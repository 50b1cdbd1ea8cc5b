"""``__cuda_array_interface__`` (v3) producers without DLPack: numba arrays, older libraries.

The interface carries the producer's ``stream``.  Consumers that read it do a
host ``streamSynchronize``; interop instead records an event on the producer's
stream, makes the consumer's stream wait for it, and hands the consumer a copy
of the interface with ``stream`` removed (meaning: already ordered).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from .._adapter import Adapter, ArrayInfo, Request
from .._devices import Device
from .._dtypes import numpy_name
from .._errors import InteropError
from .._layout import c_strides
from .._streams import NO_SYNC, stream_handle

__all__ = ["CudaArrayInterfaceAdapter"]


class _Ordered:
    """The producer's interface, minus ``stream``: its work is already ordered before ours."""

    def __init__(self, interface: dict[str, Any], owner: Any) -> None:
        self.__cuda_array_interface__ = {k: v for k, v in interface.items() if k != "stream"}
        self.owner = owner  # keeps the producer's memory alive as long as the result


class CudaArrayInterfaceAdapter(Adapter):
    name = "cuda_array_interface"

    def owns(self, tp: type) -> bool:
        return hasattr(tp, "__cuda_array_interface__") and not hasattr(tp, "__dlpack__")

    def describe(self, x: Any) -> ArrayInfo:
        cai = x.__cuda_array_interface__
        dtype = np.dtype(cai["typestr"])
        shape = tuple(cai["shape"])
        strides = cai.get("strides") or c_strides(shape, dtype.itemsize)
        return ArrayInfo(dtype=numpy_name(dtype), shape=shape, strides=tuple(strides),
                         itemsize=dtype.itemsize, device=self.device_of(x),
                         read_only=bool(cai["data"][1]), byteswapped=not dtype.isnative)

    def device_of(self, x: Any) -> Device:
        pointer = x.__cuda_array_interface__["data"][0]
        if "cupy" in sys.modules:
            import cupy

            return Device("cuda", int(cupy.cuda.runtime.pointerGetAttributes(pointer).device))
        import torch

        return Device("cuda", torch.cuda.current_device())

    def coerce(self, x: Any, request: Request) -> tuple[Any, Adapter, str | None]:
        """Order the producer's stream before the consumer's, then import natively."""
        if request.explaining:  # metadata only: no event, no import
            return x, self, None
        target = request.target
        if target.name not in ("cupy", "torch"):
            target = _load_gpu_consumer(request)
        device = self.device_of(x)
        consumer = request.stream if request.stream is not None else target.current_stream(device)
        _order(x.__cuda_array_interface__.get("stream"), consumer, target.name, device)
        ordered = _Ordered(x.__cuda_array_interface__, x)
        if target.name == "cupy":
            import cupy

            return cupy.asarray(ordered), target, None
        import torch

        return torch.as_tensor(ordered, device=f"cuda:{device.index}"), target, None


def _load_gpu_consumer(request: Request) -> Adapter:
    for name in ("cupy", "torch"):
        try:
            return request.adapter(name)
        except InteropError:
            continue
    raise InteropError("Reading __cuda_array_interface__ needs cupy or torch with CUDA; "
                       "install one: pip install cupy-cuda12x")


def _order(producer: Any, consumer: Any, library: str, device: Device) -> None:
    """Make ``consumer`` wait for ``producer`` on the GPU (an event; the host does not wait)."""
    if producer is None or consumer is NO_SYNC:
        return
    source, sink = int(producer), stream_handle(consumer)
    if source == sink:
        return
    if library == "cupy":
        import cupy

        with cupy.cuda.Device(device.index or 0):
            event = cupy.cuda.Event(disable_timing=True)
            event.record(cupy.cuda.ExternalStream(source))
            cupy.cuda.ExternalStream(sink).wait_event(event)
        return
    import torch

    event = torch.cuda.Event()
    event.record(torch.cuda.ExternalStream(source, device=f"cuda:{device.index}"))
    torch.cuda.ExternalStream(sink, device=f"cuda:{device.index}").wait_event(event)

