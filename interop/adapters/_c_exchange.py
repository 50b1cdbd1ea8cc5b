"""Remembered routes through the DLPack C exchange API, for adapters whose type offers it.

DLPack 1.3 lets a framework publish ``type(x).__dlpack_c_exchange_api__``, a capsule
holding C functions that describe a tensor (``dltensor_from_py_object_no_sync``) and
adopt a DLPack tensor (``managed_tensor_to_py_object_no_sync``).  ``interop._exchange``
calls them from its remembered routes, so torch->numpy and numpy->torch run without the
Python frames of ``Tensor.numpy()`` / ``torch.from_numpy``.  The routes take only the
values whose plan is "share as it is" and raise ``RouteFallback`` for every other value
before anything can throw, so they are remembered plans, not second opinions.

Used where the C extension is built and the type has the table (torch 2.13+); elsewhere
the adapter's Python-level native call serves, with the same results.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from .._accel import exchange
from .._adapter import Native
from .._dtypes import DLPACK_CODES, numpy_dtype
from .._errors import RouteFallback, UnsupportedDtypeError

__all__ = ["exchange_api", "from_numpy_route", "to_numpy_route", "versioned_exporter"]


def exchange_api(tp: type) -> Any:
    """The type's exchange table (a capsule), or ``None`` where it has none or it is off."""
    if exchange is None:
        return None
    capsule = getattr(tp, "__dlpack_c_exchange_api__", None)
    return capsule if type(capsule).__name__ == "PyCapsule" else None


def _numpy_rows(names: Iterable[str]) -> list[tuple[Any, int, int]]:
    """(NumPy dtype, DLPack code, bits) for each name NumPy holds here (ml_dtypes' too)."""
    rows = []
    for name in names:
        code, bits = DLPACK_CODES[name]
        if bits % 8:
            continue  # sub-byte formats: packed or padded is a per-tensor question
        try:
            rows.append((numpy_dtype(name), code, bits))
        except UnsupportedDtypeError:
            continue  # an ml_dtypes format without ml_dtypes installed
    return rows


def to_numpy_route(tp: type, names: Iterable[str], exact: tuple[type, ...],
                   other: Native, *, lazy_bits: bool = False) -> Native | None:
    """framework -> NumPy views through the table; types not in ``exact`` go to ``other``.

    ``lazy_bits``: the framework has torch's negative/conjugate bits (``is_neg()``,
    ``is_conj()``), which the table exports raw; such tensors go to the planner.
    """
    api = exchange_api(tp)
    if api is None or exchange is None:
        return None
    rows = tuple((code, bits, dtype) for dtype, code, bits in _numpy_rows(names))
    route: Native = exchange.ToNumpy(api, rows, exact, other, RouteFallback, lazy_bits)
    return route


def from_numpy_route(tp: type, names: Iterable[str], other: Native) -> Native | None:
    """NumPy -> framework tensors adopting the array; ndarray subclasses go to ``other``."""
    api = exchange_api(tp)
    if api is None or exchange is None:
        return None
    route: Native = exchange.FromNumpy(api, tuple(_numpy_rows(names)), other, RouteFallback)
    return route


def versioned_exporter(tp: type) -> Native | None:
    """``tensor -> dltensor_versioned capsule`` through the type's table, or ``None``.

    The capsule is the one the type's ``__dlpack__(max_version=(1, x))`` makes for a host
    tensor; callers hand it only tensors whose memory holds their values.
    """
    api = exchange_api(tp)
    if api is None or exchange is None:
        return None
    export: Native = functools.partial(exchange.export_versioned, api)
    return export
