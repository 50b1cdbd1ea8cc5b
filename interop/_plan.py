"""Planning: decide the route of one conversion and say why, before touching data.

A plan is pure data, a function of the adapters, the caller's arguments and the
facts ``describe`` reports (never of the shape or the values): ``interop.explain``
prints it, the executor builds its route (a ``RouteKind``) from adapter
primitives, and that same route is remembered for later values with the same
facts.  Every reason to copy is collected first, then the ``copy`` contract is
applied to the whole list, so ``copy=False`` errors name *all* the reasons at once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ._adapter import (
    K_CLONE,
    K_DLPACK,
    K_FROM_HOST,
    K_FROM_HUB,
    K_HOST_COPY,
    K_TO_HOST,
    K_TO_HUB,
    K_VIA_HOST,
    K_VIA_HUB,
    Adapter,
    ArrayInfo,
    RouteKind,
)
from ._devices import Device
from ._dtypes import EXTENDED, refuse_numpy_only
from ._errors import CopyRequiredError
from ._layout import NEGATIVE, NONCOMPACT, ODD, layout_bits

__all__ = ["Plan", "Route", "make_plan"]


class Route(enum.Enum):
    """How the data travels."""

    IDENTITY = "identity"  #: the input object itself is the answer
    SHARE = "share"  #: zero-copy hand-off (native call or DLPack)
    COPY = "copy"  #: a new buffer on the target device

    __hash__ = object.__hash__  # singletons: identity, without Enum's Python-level hash


@dataclass(slots=True, unsafe_hash=True)
class Plan:
    """The route of one conversion; ``str(plan)`` explains it in words.

    A record: nothing changes a plan once made (``dataclasses.replace`` makes another).
    It is not ``frozen`` because frozen construction sets each of its fields through
    ``object.__setattr__``, which cost more than the rest of planning put together.
    """

    source: str
    target: str
    source_device: Device
    device: Device
    route: Route
    steps: tuple[str, ...]
    copy_reasons: tuple[str, ...]
    #: The target may still copy on import (JAX aliases only aligned host memory).
    may_copy: bool = False
    detach: bool = False
    #: The input was already copied into a private buffer (a list...): hand it over as is.
    handoff_only: bool = False
    copy: bool | None = None
    #: The source memory is flagged read-only (legacy DLPack cannot carry that flag).
    read_only: bool = False
    #: Reading the values resolves lazy bits (torch conj/neg), which already makes new memory.
    resolves_values: bool = False
    #: How the data travels, in terms of adapter primitives.
    kind: RouteKind = RouteKind.IDENTITY
    #: The array has no elements (no address to compare, nothing to protect).
    empty: bool = False
    #: The number format, by canonical name (``float8_e4m3fn``, ``int4``); travels unchanged.
    dtype: str = ""

    @property
    def zero_copy(self) -> bool:
        """True when the result shares memory with the input (or is the input)."""
        return self.route is not Route.COPY

    def __str__(self) -> str:
        """The head names the format and the outcome, the next line the route, then why."""
        kind = {Route.IDENTITY: "no conversion", Route.SHARE: "zero-copy",
                Route.COPY: "copy"}[self.route]
        what = f"{self.source} {self.dtype}" if self.dtype else self.source
        head = f"{what} ({self.source_device}) -> {self.target} ({self.device}): {kind}"
        lines = [head]
        if self.route is not Route.IDENTITY:
            lines.append(f"  route: {self.kind.value}")
        lines.extend(f"  - {step}" for step in self.steps)
        return "\n".join(lines)


# Route's members as constants (see ``_adapter.K_DLPACK``: Enum reads cost on 3.11).
IDENTITY, SHARE, COPY = Route


def make_plan(src: Adapter, info: ArrayInfo, dst: Adapter, *, device: object,
              copy: bool | None, source_name: str | None = None, alias: bool = False) -> Plan:
    """Plan the conversion of an array described by ``info`` from ``src`` to ``dst``.

    ``alias`` (``interop.unsafe_alias`` only) lets an immutable source's memory reach a
    writable target; memory *flagged* read-only never does.
    """
    name = source_name or src.name
    if not dst.host_hub:
        refuse_numpy_only(info.dtype, dst.name)
    dst.check_dtype(info.dtype)
    target_device = _target_device(info.device, dst, device)
    if src is dst and _same(target_device, info.device) and copy is not True \
            and info.input_copied is None:
        return identity_plan(name, dst.name, info.device, copy)
    reasons = _copy_reasons(src, info, dst, target_device, alias)
    if copy is False and _nothing_to_protect(info, target_device):
        reasons = []  # an empty array has no bytes that a layout or a write could expose
    if copy is False and reasons:
        raise CopyRequiredError(
            f"copy=False, but converting this {name} array to {dst.name} needs a copy: "
            f"{'; '.join(reasons)}. Pass copy=None to allow the copy.", tuple(reasons))
    handoff_only = bool(reasons) and reasons == [info.input_copied]
    if copy is True and not reasons:
        reasons.append("copy=True: the result must not share memory with the input")
    steps = []
    if info.requires_grad:
        steps.append("detach from the autograd graph (no copy; the result carries no graph)")
    if handoff_only:
        steps.append(f"copy because {reasons[0]}")
        steps.append(f"hand that new buffer to {dst.name} without copying again")
        route = COPY
        kind = _share_kind(src, dst, target_device, info)
    elif reasons:
        steps.extend(f"copy because {reason}" for reason in reasons)
        steps.append(_copy_step(info.device, target_device, dst))
        route = COPY
        kind = _copy_kind(src, dst, info, target_device)
    else:
        steps.append(_share_step(src, dst))
        route = SHARE
        kind = _share_kind(src, dst, target_device, info)
    may_copy = route is SHARE and dst.may_copy_on_import and src is not dst
    if may_copy:
        steps.append(f"{dst.name} may still copy on import (it aliases only aligned memory)")
    # positional, in field order: keywords would cost a dict per class call on 3.11
    return Plan(name, dst.name, info.device, target_device, route, tuple(steps),
                tuple(reasons) if route is COPY else (), may_copy, info.requires_grad,
                handoff_only, copy, info.read_only, bool(info.value_hazards), kind,
                0 in info.shape, info.dtype)


def identity_plan(source: str, target: str, device: Device, copy: bool | None) -> Plan:
    """Same framework and device: the input itself is returned, whatever its dtype."""
    return Plan(source, target, device, device, IDENTITY,
                ("same framework and device: the input itself is returned",), (), copy=copy)


def _same(a: Device, b: Device) -> bool:
    """Device equality, by identity first (``CPU`` is one object almost always)."""
    return a is b or a == b


def _nothing_to_protect(info: ArrayInfo, device: Device) -> bool:
    """Size 0, already in place: sharing cannot expose or lose a single byte."""
    return 0 in info.shape and _same(device, info.device) and info.input_copied is None \
        and not info.value_hazards


def _share_kind(src: Adapter, dst: Adapter, device: Device, info: ArrayInfo) -> RouteKind:
    if not device.is_host:
        return K_DLPACK
    if dst.host_hub:
        return K_TO_HUB
    if src.host_hub:
        return K_FROM_HUB
    if not dst.dlpack_versioned and info.read_only:
        # a legacy-only consumer: legacy capsules lose READ_ONLY, so a NumPy view carries it
        return K_VIA_HUB
    return K_DLPACK


def _copy_kind(src: Adapter, dst: Adapter, info: ArrayInfo, target: Device) -> RouteKind:
    source = info.device
    if src is dst and source == target and (not source.is_host or info.dtype in EXTENDED) \
            and type(src).device_clone is not Adapter.device_clone:
        # a copy within one framework stays inside it (torch bfloat16 needs no ml_dtypes);
        # on the host NumPy copies faster, so it does the copying for the other dtypes
        return K_CLONE
    if source.is_host and target.is_host:
        return K_HOST_COPY
    if target.is_host:
        return K_TO_HOST
    if source.is_host:
        return K_FROM_HOST
    return K_CLONE if source == target else K_VIA_HOST


def _target_device(source: Device, dst: Adapter, device: object) -> Device:
    if device is None:
        return source if dst.can_hold(source) else dst.default_device()
    wanted = dst.check_device(Device.parse(device))
    if wanted.kind == source.kind and wanted.index is None:
        return source
    return wanted


def _copy_reasons(src: Adapter, info: ArrayInfo, dst: Adapter, device: Device,
                  alias: bool) -> list[str]:
    reasons = []
    if info.input_copied:
        reasons.append(info.input_copied)
    if not _same(device, info.device):
        reasons.append(f"the data is on {info.device} and the result must be on {device}")
    reasons.extend(info.value_hazards)
    if src is dst:
        return reasons
    if not dst.holds_read_only and (info.read_only or (src.immutable and not alias)):
        what = ("flagged read-only" if info.read_only else
                f"known read-only ({src.name} arrays are immutable and may sit on read-only "
                "memory)")
        reasons.append(f"the source memory is {what} and {dst.name} arrays are writable, so "
                       "sharing would let writes through")
    reasons.extend(layout_reasons(info, dst))
    if src.host_hub and (why := dst.copies_from_hub(info.dtype)):
        reasons.append(why)
    return reasons


def layout_reasons(info: ArrayInfo, dst: Adapter) -> list[str]:
    """Why ``dst`` cannot take this memory layout as it is (empty when it can)."""
    if dst.any_layout:
        return []
    reasons = []
    bits = layout_bits(info.shape, info.strides, info.itemsize)
    if info.byteswapped:
        reasons.append("the byte order is not native (DLPack carries native order only)")
    if bits & ODD:
        reasons.append("the strides are not a multiple of the item size (e.g. one field of a "
                       "structured array)")
    if not dst.negative_strides and bits & NEGATIVE:
        reasons.append(f"the strides are negative, which {dst.name} cannot represent")
    if dst.compact_only and bits & (NONCOMPACT | NEGATIVE):
        reasons.append(f"the layout is not compact, and {dst.name} imports only compact "
                       "(C-ordered or permuted) layouts")
    return reasons


def _copy_step(source: Device, target: Device, dst: Adapter) -> str:
    if source == target:
        return f"copy into a new compact {dst.name} array on {target}"
    return f"copy from {source} to {target}, then hand the new buffer to {dst.name}"


def _share_step(src: Adapter, dst: Adapter) -> str:
    return f"hand the memory from {src.name} to {dst.name} without copying"
