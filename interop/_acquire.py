"""Acquire: find the adapter that owns an input and turn the input into a describable array.

This is the only stage before planning with a side effect, and only for inputs that
force one: a generic DLPack producer must export a capsule before anyone knows its
dtype and layout, a Python list must be copied into an array.  Framework arrays come
back unchanged (``Source.array is x``), which is what lets their route be remembered.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ._adapter import Adapter, ArrayInfo, Request
from ._devices import Device
from ._registry import adapter_for, load_adapter

__all__ = ["Source", "acquire", "check_copy"]


@dataclass(slots=True)
class Source:
    """An acquired input: the array the route receives, its adapter, and what it is.

    Not ``frozen`` (as ``Request``): built once per planned conversion, never changed.
    """

    array: Any
    adapter: Adapter
    #: The adapter of the caller's object (its name is the source named in messages).
    owner: Adapter
    #: Why acquiring copied the input (a Python list...), or ``None``.
    copied: str | None
    #: What the caller asked (a remembered coercion replays it).
    request: Request | None = None

    @property
    def unchanged(self) -> bool:
        """The route will receive the caller's own object (so it can be remembered)."""
        return self.copied is None and self.adapter is self.owner

    def describe(self) -> ArrayInfo:
        info = self.adapter.describe(self.array)
        return info if self.copied is None else replace(info, input_copied=self.copied)


def acquire(x: Any, dst: Adapter, device: Device | None, copy: bool | None, stream: Any, *,
            explaining: bool = False) -> Source:
    """Detect ``x``'s adapter and coerce ``x`` into one of its arrays."""
    owner = adapter_for(x)
    request = Request(dst, device, copy, stream, explaining, load_adapter)
    array, adapter, copied = owner.coerce(x, request)
    return Source(array, adapter, owner, copied, request)


def check_copy(copy: object) -> bool | None:
    """``copy`` is exactly the array API's: ``True``, ``False`` or ``None`` (NumPy bools too)."""
    if copy is None or copy is True or copy is False:
        return copy
    if type(copy).__name__ == "bool" and type(copy).__module__ == "numpy":
        return bool(copy)
    raise TypeError(
        f"copy must be True, False or None (the array API's copy keyword), not {copy!r} "
        f"(a {type(copy).__name__}). Use copy=True to always copy, copy=False to never copy, "
        "copy=None to copy only when needed."
    )
