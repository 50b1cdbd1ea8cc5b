"""``like``: convert an array to the framework and device of another one.

A library that accepts "any array" computes in one framework and hands results back in
the caller's framework and on the caller's device; ``like(result, caller_array)`` is that
hand-back.  The reference's adapter is kept per type until the registry changes, so a
call costs two device queries and one ``interop.to``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from ._acquire import check_copy
from ._adapter import Adapter
from ._convert import to
from ._errors import InteropError, NotAnArrayError
from ._memory import foreign_error
from ._registry import adapter_for, on_change
from ._tree import is_array

__all__ = ["like"]

T = TypeVar("T")

#: Most reference types ``like`` keeps the adapter of (emptied beyond it).
_MAX_REF_TYPES = 256


def like(x: Any, ref: T, /, *, copy: bool | None = None) -> T:
    """Convert ``x`` to the framework and device of the array ``ref``.

    ``interop.to(x, interop.framework(ref), device=interop.device(ref), copy=copy)``,
    but a conversion that stays on the device keeps ``interop.to``'s fast route.
    """
    if copy is not None:
        copy = check_copy(copy)
    try:
        adapter = _REF_TYPES.get(type(ref))
        if adapter is None:
            adapter = _ref_adapter(ref)
        device = adapter.device_of(ref)
        home = adapter_for(x).device_of(x)
        if home is not device and home != device:
            return to(x, adapter.name, device=device, copy=copy)  # type: ignore[no-any-return]
        if copy is None:  # same conversion, eligible for the fast route; no keyword to parse
            return to(x, adapter.name)  # type: ignore[no-any-return]
        return to(x, adapter.name, copy=copy)  # type: ignore[no-any-return]
    except InteropError:
        raise
    except Exception as exc:  # what interop_errors_only says, without a wrapper per call
        raise foreign_error("like", exc) from exc


#: The adapter of each type ``like`` has taken a reference of (``is_array`` held): the
#: registry's own answer, kept until the registry changes.
_REF_TYPES: dict[type, Adapter] = {}
on_change(_REF_TYPES.clear)


def _ref_adapter(ref: Any) -> Adapter:
    if not is_array(ref):
        raise NotAnArrayError(
            f"like() takes the framework and device from an array; ref is a "
            f"{type(ref).__module__}.{type(ref).__qualname__}. Pass an array of a registered "
            "framework, or call interop.to(x, target) with a framework name."
        )
    if len(_REF_TYPES) >= _MAX_REF_TYPES:
        _REF_TYPES.clear()
    adapter = _REF_TYPES[type(ref)] = adapter_for(ref)
    return adapter
