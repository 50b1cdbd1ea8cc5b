"""Which stream a DLPack producer is given.

DLPack lets the consumer name the stream it will use; the producer then makes
that stream wait for its own pending work (an event, not a host synchronise).
interop always passes an explicit value, never relying on a producer's default
(torch's ``__dlpack__`` defaults to *no* synchronisation).

Values (DLPack / array API): CUDA ``1`` legacy default stream, ``2`` per-thread
default, ``0`` forbidden, ``-1`` no synchronisation, anything else a
``cudaStream_t``; ROCm ``0`` default, ``1``/``2`` forbidden; CPU only ``None``.

Frameworks report their default stream as handle 0 (``torch.cuda.current_stream()``
on the default stream, ``cupy.cuda.Stream.null``): on CUDA that is the legacy default
stream, so a consumer's stream or a stream *object* whose handle is 0 is sent as 1.
Only a bare ``stream=0`` from the caller is refused as ambiguous.
"""

from __future__ import annotations

from typing import Any, Final

from ._devices import DLDeviceType
from ._errors import InteropError

__all__ = ["NO_SYNC", "resolve_stream", "stream_handle"]


class _NoSync:
    """Sentinel: the caller guarantees ordering; the producer is given stream ``-1``."""

    _instance: _NoSync | None = None

    def __new__(cls) -> _NoSync:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "interop.NO_SYNC"


NO_SYNC: Final = _NoSync()


def stream_handle(stream: Any) -> int:
    """An int stream handle from an int, ``NO_SYNC``, or a torch/cupy/``__cuda_stream__`` object."""
    if stream is NO_SYNC:
        return -1
    if isinstance(stream, int) and not isinstance(stream, bool):
        return stream
    protocol = getattr(stream, "__cuda_stream__", None)
    if protocol is not None:
        _version, handle = protocol()
        return int(handle)
    for attribute in ("cuda_stream", "ptr", "handle"):  # torch, cupy, cuda.core
        value = getattr(stream, attribute, None)
        if isinstance(value, int):
            return value
    raise InteropError(
        f"stream={stream!r} is not a stream. Pass an int handle, a torch or cupy stream, an "
        "object with __cuda_stream__, or interop.NO_SYNC."
    )


def resolve_stream(stream: Any, producer_device: tuple[int, int],
                   consumer_stream: int | None) -> int | None:
    """The value to pass as ``__dlpack__(stream=...)``.

    ``consumer_stream`` is the consumer framework's current stream on the target device,
    or ``None`` when the consumer has no notion of streams.
    """
    kind = producer_device[0]
    if kind not in (DLDeviceType.CUDA, DLDeviceType.ROCM):
        return None  # host memory has no streams; DLPack requires None here
    rocm = kind == DLDeviceType.ROCM
    if stream is None:
        handle = consumer_stream if consumer_stream is not None else (0 if rocm else 1)
        if handle == 0 and not rocm:
            handle = 1  # a framework's default stream is CUDA's legacy stream (torch says 0)
    else:
        handle = stream_handle(stream)
        if handle == 0 and not rocm and not isinstance(stream, int):
            handle = 1  # torch.cuda.default_stream(), cupy.cuda.Stream.null: the legacy stream
    _check(handle, rocm)
    return handle


def _check(handle: int, rocm: bool) -> None:
    if not rocm and handle == 0:
        raise InteropError(
            "Stream 0 is ambiguous on CUDA and DLPack forbids it. Pass 1 for the legacy default "
            "stream, 2 for the per-thread default stream, or a stream object."
        )
    if rocm and handle in (1, 2):
        raise InteropError(
            f"Stream {handle} is not valid on ROCm; pass 0 for the default stream or a stream "
            "object."
        )
