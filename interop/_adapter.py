"""The adapter protocol: what interop needs to know about one array framework.

An adapter answers three kinds of question, so that planning never imports a
framework and execution never guesses:

* source side: *what is this array?* (``describe``) and *give me its memory*
  (``dlpack_producer``, ``host_view``);
* target side: *what can you hold?* (class attributes, ``check_dtype``,
  ``check_device``) and *take this memory* (``from_dlpack``, ``from_numpy``);
* shortcuts: ``fast_to`` returns a native call that gives exactly what the
  protocol route gives, only faster.

Every method has a protocol-based default, so a plugin adapter needs only
``name``, ``owns`` and ``describe`` to be a source, plus ``from_dlpack`` to be a
target.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ._devices import CPU, Device
from ._dlpack import CapsuleProducer, device_of, negotiate
from ._errors import UnsupportedDeviceError

__all__ = ["Adapter", "ArrayInfo", "FastRoute", "Request"]

#: ``fast(x) -> result``, identical to the planned zero-copy route, or raises when the
#: case needs planning (read-only input, grad, lazy bits, exotic layout...).
FastRoute = Callable[[Any], Any]


class RouteFallback(Exception):
    """Raised by a fast route to hand a case it does not cover to the planner."""


@dataclass(frozen=True, slots=True)
class Request:
    """What the caller asked of one conversion, for adapters that must act early (DLPack)."""

    target: Adapter
    device: Device | None
    copy: bool | None
    stream: Any


@dataclass(frozen=True, slots=True)
class ArrayInfo:
    """What planning needs to know about a source array. Strides are in bytes."""

    dtype: str
    shape: tuple[int, ...]
    strides: tuple[int, ...]
    itemsize: int
    device: Device = CPU
    read_only: bool = False
    byteswapped: bool = False
    #: Why the memory does not hold the values as seen (torch conj/neg bits).
    value_hazards: tuple[str, ...] = ()
    #: The source carries an autograd graph that the result must drop.
    requires_grad: bool = False
    #: Why the input itself had to be copied to become an array (a Python list...).
    input_copied: str | None = None


class Adapter:
    """Base class of every adapter; subclass it to teach interop a new framework.

    Class attributes describe what the framework can hold as a *target*; the
    defaults describe a DLPack-capable, writable-only, strided framework.
    """

    #: Registry name, also accepted as a ``target`` string.
    name: ClassVar[str] = ""
    #: Top-level module whose presence in ``sys.modules`` means arrays may exist.
    module: ClassVar[str] = ""
    #: Module names (``"jax.numpy"``) whose module objects are accepted as targets.
    target_modules: ClassVar[tuple[str, ...]] = ()
    #: Shown when the framework is missing.
    install_hint: ClassVar[str] = ""
    #: The target can hand out non-writable views (numpy) or is immutable (jax).
    holds_read_only: ClassVar[bool] = False
    #: The target represents negative strides.
    negative_strides: ClassVar[bool] = False
    #: The target imports only compact layouts (C order or a permutation of it).
    compact_only: ClassVar[bool] = False
    #: The target reads DLPack 1.x (versioned) capsules, not only legacy ones.
    dlpack_versioned: ClassVar[bool] = True
    #: The target may copy on import even when asked to share (JAX alignment).
    may_copy_on_import: ClassVar[bool] = False

    # -- detection -----------------------------------------------------------------
    def owns(self, tp: type) -> bool:
        """True when arrays of type ``tp`` belong to this framework."""
        return False

    def namespace(self) -> Any:
        """The module used when this adapter is a target (for ``interop.namespace``)."""
        raise NotImplementedError

    # -- source side ---------------------------------------------------------------
    def coerce(self, x: Any, request: Request) -> tuple[Any, Adapter, str | None]:
        """Turn ``x`` into an array of some adapter, and say why if that copied it.

        Most adapters return ``(x, self, None)``; a Python list becomes a new NumPy array
        (``"a Python sequence is always copied"``).
        """
        return x, self, None

    def device_of(self, x: Any) -> Device:
        """Where ``x`` lives; cheaper than ``describe``."""
        return self.describe(x).device

    def describe(self, x: Any) -> ArrayInfo:
        raise NotImplementedError

    def dlpack_producer(self, x: Any) -> Any:
        """The object whose ``__dlpack__`` exports ``x`` (after detaching/resolving)."""
        return x

    def host_view(self, x: Any) -> np.ndarray:
        """A NumPy view of host memory, read-only where the source is; no copy."""
        producer = self.dlpack_producer(x)
        negotiated = negotiate(producer, stream=None)
        return np.from_dlpack(CapsuleProducer(negotiated.capsule, device_of(producer)))

    def fast_to(self, target: Adapter) -> FastRoute | None:
        """A native shortcut from this framework to ``target``, identical to the protocol route."""
        return None

    def fast_from(self, source: Adapter) -> FastRoute | None:
        """A native shortcut from ``source`` into this framework, identical to the protocol."""
        return None

    def fast_copy_to(self, target: Adapter) -> FastRoute | None:
        """Like ``fast_to`` for ``copy=True``: a native call that always makes a new buffer
        with exactly the planned result (or raises to hand the case to the planner)."""
        return None

    def fast_copy_from(self, source: Adapter) -> FastRoute | None:
        """Like ``fast_from`` for ``copy=True``."""
        return None

    def to_host(self, x: Any, stream: Any) -> np.ndarray:
        """Copy device memory to a new host array, ordered after the producer's work."""
        raise NotImplementedError(f"{self.name} has no device-to-host copy")

    def from_host(self, view: np.ndarray, device: Device, stream: Any) -> Any:
        """Copy host memory to ``device`` (host-to-device)."""
        raise NotImplementedError(f"{self.name} has no host-to-device copy")

    def device_clone(self, x: Any) -> Any:
        """A compact copy on the same device, values resolved."""
        raise NotImplementedError(f"{self.name} has no on-device copy")

    # -- target side ---------------------------------------------------------------
    def check_dtype(self, dtype: str) -> None:
        """Raise ``UnsupportedDtypeError`` when this target cannot hold ``dtype`` exactly."""

    def check_device(self, device: Device) -> Device:
        """Return the concrete device, or raise ``UnsupportedDeviceError``."""
        if device.kind != "cpu":
            raise UnsupportedDeviceError(
                f"{self.name} arrays live in host memory only; it cannot hold {device}. "
                "Leave device=None or pass device='cpu'."
            )
        return CPU

    def default_device(self) -> Device:
        """Where results go when the source device cannot be kept."""
        return CPU

    def can_hold(self, device: Device) -> bool:
        try:
            self.check_device(device)
        except UnsupportedDeviceError:
            return False
        return True

    def from_dlpack(self, producer: Any) -> Any:
        """Import from an object with ``__dlpack__``/``__dlpack_device__``, sharing memory."""
        raise NotImplementedError(f"{type(self).__name__} cannot be a conversion target")

    def from_numpy(self, array: np.ndarray) -> Any:
        """Import a host NumPy array, sharing its memory when the framework can."""
        negotiated = negotiate(array, stream=None, versioned=self.dlpack_versioned)
        return self.from_dlpack(CapsuleProducer(negotiated.capsule, (1, 0)))

    def copy_from_numpy(self, view: np.ndarray) -> Any:
        """Import a *copy* of host memory (any layout) in as few passes as possible."""
        return self.from_numpy(np.array(view, dtype=view.dtype.newbyteorder("="), order="C"))

    def export_context(self, x: Any) -> AbstractContextManager[Any]:
        """Context in which ``x`` may be exported (e.g. its GPU made current)."""
        return contextlib.nullcontext()

    def current_stream(self, device: Device) -> int | None:
        """The consumer's current stream handle on ``device``; ``None`` on the host."""
        return None

    def data_pointer(self, x: Any) -> int | None:
        """Address of element 0 (for ``shares_memory`` and ``copy=False`` checks).

        The default reads it from a NumPy view of host arrays; ``None`` if unknown.
        """
        if not self.device_of(x).is_host:
            return None
        return int(self.host_view(x).__array_interface__["data"][0])
