"""Helpers shared by adapters: dtype names, host views of DLPack producers, ArrayInfo.

NumPy (≤ 2.4) cannot import bfloat16/float8 through DLPack, so a producer's capsule is
relabelled as the same-width unsigned integer and the NumPy view is re-typed with
``ml_dtypes`` afterwards: a view of the producer's own memory, never a copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._adapter import Adapter, ArrayInfo
from .._dlpack import CapsuleProducer, device_of, negotiate, retype_capsule
from .._dtypes import EXTENDED, numpy_dtype, same_width_uint
from .._errors import InteropError, UnsupportedDtypeError
from .._layout import c_strides

__all__ = ["SourceOnly", "canonical_name", "host_view_of", "info_of_view"]


def canonical_name(names: Mapping[Any, str], dtype: Any, framework: str, fix: str) -> str:
    """The canonical name of a framework dtype, or an error saying what to convert it to.

    Read before anything is exported: some producers abort on dtypes they cannot export.
    """
    try:
        return names[dtype]
    except KeyError:
        raise UnsupportedDtypeError(
            f"{framework} dtype {getattr(dtype, 'name', dtype)} has no exact equivalent in "
            f"other frameworks; {fix}") from None


def host_view_of(producer: Any, name: str) -> np.ndarray:
    """A NumPy view of a host DLPack producer holding dtype ``name`` (extended ones too).

    For a one-shot producer (a caller's capsule) that the import fails on, the capsule is
    relabelled back and handed back, as it was.
    """
    if name not in EXTENDED:
        return np.from_dlpack(producer)
    capsule = negotiate(producer, stream=None).capsule
    retype_capsule(capsule, same_width_uint(name))
    try:
        view: np.ndarray = np.from_dlpack(CapsuleProducer(capsule, device_of(producer)))
    except Exception:
        retype_capsule(capsule, name)
        give_back = getattr(producer, "give_back", None)
        if give_back is not None:
            give_back(capsule)
        raise
    return view.view(numpy_dtype(name))


def info_of_view(view: np.ndarray, name: str, **facts: Any) -> ArrayInfo:
    """The ``ArrayInfo`` of a NumPy view whose canonical dtype name is ``name``."""
    facts.setdefault("read_only", not view.flags.writeable)
    return ArrayInfo(dtype=name, shape=tuple(view.shape), strides=tuple(view.strides),
                     itemsize=view.itemsize, byteswapped=not view.dtype.isnative, **facts)


def compact_info(name: str, shape: tuple[int, ...], itemsize: int, **facts: Any) -> ArrayInfo:
    """The ``ArrayInfo`` of a C-ordered array (frameworks whose tensors have no strides)."""
    return ArrayInfo(dtype=name, shape=shape, strides=c_strides(shape, itemsize),
                     itemsize=itemsize, **facts)


class SourceOnly(Adapter):
    """A named source (pandas, xarray, PIL): arrays come from it, none are made in it.

    Asking for one as a target fails in planning, before anything is read, with what to
    do instead.
    """

    def _refuse(self) -> InteropError:
        return InteropError(
            f"{self.name} is a source only: interop converts {self.name} objects to arrays "
            f"but does not build {self.name} objects. Convert to 'numpy' and wrap the result "
            f"yourself (e.g. pandas.Series(interop.to(x, 'numpy')))."
        )

    def check_dtype(self, dtype: str) -> None:
        raise self._refuse()

    def from_dlpack(self, producer: Any) -> Any:
        raise self._refuse()
