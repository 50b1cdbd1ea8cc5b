"""The adapter protocol: what interop needs to know about one array framework.

An adapter answers three kinds of question, so that planning never imports a
framework and execution never guesses:

* source side: *what is this array?* (``describe``, and ``route_key``: the part of
  that answer a remembered route must re-check for each new value) and *give me its
  memory* (``dlpack_producer``, ``host_view``, ``to_host``, ``device_clone``);
* target side: *what can you hold?* (capability flags, ``check_dtype``,
  ``check_device``) and *take this memory* (``from_dlpack``, ``from_numpy``...);
* ``native``: a framework call that performs one route kind for every value it
  accepts and raises for every other one, so that route can be remembered
  without re-reading the value's facts.

The planner and the executor call only these primitives, so a route remembered
for a type is the same code the first conversion ran.  Every method has a
protocol-based default: a plugin needs ``name``, ``owns`` and ``describe`` to be a
source, plus ``from_dlpack`` to be a target.  This module imports only protocol
leaves (dlpack, devices, errors), never a stage or another adapter.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ._devices import CPU, Device
from ._dlpack import CapsuleProducer, device_of, negotiate
from ._errors import UnsupportedDeviceError
from ._layout import layout_bits

__all__ = ["Adapter", "ArrayInfo", "Native", "Request", "RouteKind"]

#: ``native(x) -> result``: exactly what the route gives for ``x``, or raises.
Native = Callable[[Any], Any]
#: The export context of host memory: none (``nullcontext`` keeps no state, so one serves).
NO_CONTEXT: AbstractContextManager[Any] = contextlib.nullcontext()


class RouteKind(enum.Enum):
    """The closed set of ways data travels; each is built from adapter primitives."""

    IDENTITY = "identity"  #: the input itself is the answer
    SHARE_TO_HUB = "share to the host hub"  #: ``src.host_view(x)`` (numpy target)
    SHARE_FROM_HUB = "share from the host hub"  #: ``dst.from_numpy(x)`` (numpy source)
    SHARE_VIA_HUB = "share through a host view"  #: ``dst.from_numpy(src.host_view(x))``
    DLPACK = "DLPack hand-off"  #: negotiate a capsule, ``dst.from_dlpack``
    HOST_COPY = "host copy"  #: one new host buffer, handed to ``dst``
    TO_HOST = "device to host"  #: ``src.to_host`` then ``dst.from_numpy``
    FROM_HOST = "host to device"  #: ``dst.from_host(src.host_view(x))``
    DEVICE_CLONE = "device clone"  #: ``src.device_clone`` then a DLPack hand-off
    DEVICE_VIA_HOST = "device to device through the host"

    #: Members are singletons compared by identity; ``Enum.__hash__`` hashes the name in
    #: Python, once per dictionary lookup of a route's builder.
    __hash__ = object.__hash__


# The members as module constants, for hot paths: Python 3.11's EnumType has a
# ``__getattr__``, so every ``RouteKind.X`` read runs a Python-level ``__getattribute__``
# (about 850 instructions). In definition order, so they cannot drift from the enum.
(K_IDENTITY, K_TO_HUB, K_FROM_HUB, K_VIA_HUB, K_DLPACK, K_HOST_COPY, K_TO_HOST, K_FROM_HOST,
 K_CLONE, K_VIA_HOST) = RouteKind


@dataclass(slots=True)
class Request:
    """What the caller asked of one conversion, for adapters that must act early (DLPack).

    Not ``frozen``: a frozen dataclass sets each field through ``object.__setattr__``,
    which made building the records of one planned conversion cost about 4 µs; nothing
    changes a request after it is made.
    """

    target: Adapter
    device: Device | None
    copy: bool | None
    stream: Any
    #: ``explain`` only: read metadata, move and copy nothing.
    explaining: bool = False
    #: The adapter registered under a name: how a delegating adapter (a Python list
    #: becomes a NumPy array) finds the one it hands over to, without importing the registry.
    adapters: Callable[[str], Adapter] | None = None

    def adapter(self, name: str) -> Adapter:
        if self.adapters is None:
            raise LookupError(f"no adapter lookup was given for {name!r}")
        return self.adapters(name)


@dataclass(slots=True, unsafe_hash=True)
class ArrayInfo:
    """What planning needs to know about a source array. Strides are in bytes.

    A record that nothing changes once ``describe`` made it (use ``dataclasses.replace``);
    not ``frozen`` only because frozen construction costs four times as much, once per
    planned conversion.
    """

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
    #: Module names (``"jax.numpy"``) whose module objects are accepted as targets.
    target_modules: ClassVar[tuple[str, ...]] = ()
    #: Arrays are host NumPy arrays: host memory travels to and from them natively
    #: (``host_view``/``from_numpy``) instead of through DLPack.
    host_hub: ClassVar[bool] = False
    #: The target represents any strided host layout (odd strides, non-native byte order).
    any_layout: ClassVar[bool] = False
    #: The target can hand out non-writable views (numpy) or is immutable (jax).
    holds_read_only: ClassVar[bool] = False
    #: Source arrays are immutable by contract and may sit on read-only memory (jax).
    immutable: ClassVar[bool] = False
    #: The target represents negative strides.
    negative_strides: ClassVar[bool] = False
    #: The target imports only compact layouts (C order or a permutation of it).
    compact_only: ClassVar[bool] = False
    #: The target reads DLPack 1.x (versioned) capsules, not only legacy ones.
    dlpack_versioned: ClassVar[bool] = True
    #: The target may copy on import even when asked to share (JAX alignment).
    may_copy_on_import: ClassVar[bool] = False
    #: The target's ``from_dlpack`` calls ``__dlpack__(stream=S)`` with the stream *it*
    #: will read on (JAX): device hand-offs give it a producer that forwards S.
    consumer_names_stream: ClassVar[bool] = False
    #: ``coerce`` depends only on the value and the request (no export, no stream, no
    #: side effect), so the route of what it returns may be remembered for the input's
    #: type: NumPy scalars, Python sequences and numbers, buffers.
    coerces_purely: ClassVar[bool] = False

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

    def route_key(self, x: Any) -> Hashable:
        """What a remembered route re-checks for each new value of a type.

        Two values with equal keys must get the same plan; the default (everything
        ``describe`` says but the shape) is exact by construction.  Adapters override it
        with something cheaper that still determines the plan.
        """
        info = self.describe(x)
        return (info.dtype, info.device, info.read_only, info.byteswapped, info.value_hazards,
                info.requires_grad, info.input_copied, layout_key(info))

    def export(self, producer: Any, *, stream: int | None, versioned: bool) -> object:
        """A capsule of ``producer`` (from ``dlpack_producer``), ordered on ``stream``.

        The default negotiates through ``__dlpack__``; a framework with a faster exporter
        that makes the same capsule (torch's C ``to_dlpack`` for host tensors) overrides it.
        """
        return negotiate(producer, stream=stream, versioned=versioned).capsule

    def producer_stream(self, handle: int | None) -> int | None:
        """The stream value this framework's ``__dlpack__`` accepts for ``handle``.

        The default passes it on; JAX takes no ``-1`` (``NO_SYNC`` becomes ``None``).
        """
        return handle

    def copies_from_hub(self, dtype: str) -> str | None:
        """Why importing a host NumPy array of ``dtype`` must copy (``None``: it shares).

        JAX takes NumPy memory through DLPack, which NumPy cannot export for ml_dtypes types.
        """
        return None

    def would_copy(self, pointer: int) -> bool:
        """True when importing memory at ``pointer`` would copy it (JAX: unaligned host memory).

        Checked before a ``copy=False`` import consumes a one-shot capsule.
        """
        return False

    def settings_key(self) -> Hashable:
        """Target-side settings that plans read (JAX's 64-bit mode); ``None`` when none.

        A remembered route into this target re-checks it for every value, so changing
        the setting changes the route.
        """
        return None

    def native(self, kind: RouteKind, peer: Adapter) -> Native | None:
        """A framework call performing route ``kind`` with ``peer`` for every value it accepts.

        It must return exactly what the route gives for every value whose plan is ``kind``
        (without detaching or resolving anything) and raise for every other value, so the
        route can be remembered without computing ``route_key``.  ``peer`` is the target
        when this adapter is the source, and the source otherwise.
        """
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
        if view.dtype.isnative:
            return self.from_numpy(view.copy(order="C"))
        return self.from_numpy(view.astype(view.dtype.newbyteorder("="), order="C"))

    def export_context(self, x: Any) -> AbstractContextManager[Any]:
        """Context in which ``x`` may be exported (e.g. its GPU made current)."""
        return NO_CONTEXT

    def dlpack_device(self, producer: Any) -> tuple[int, int]:
        """``producer.__dlpack_device__()`` (from ``dlpack_producer``); frameworks whose
        Python-level method costs more than reading the device themselves override it."""
        return device_of(producer)

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


def layout_key(info: ArrayInfo) -> tuple[int, bool]:
    """The layout facts a plan reads: stride bits and emptiness."""
    empty = 0 in info.shape
    return layout_bits(info.shape, info.strides, info.itemsize), empty
