"""xarray: a ``DataArray`` converts as its ``.data``; a ``Dataset`` is refused.

The ``.data`` array is handed to the adapter of its own framework (NumPy for most
DataArrays; a Dask-backed one goes to the Dask adapter once there is one), so every rule
of that framework — sharing, read-only, devices — applies unchanged.  The labels
(dims, coordinates, attributes) are not part of an array and are dropped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from .._adapter import Adapter, ArrayInfo, Request
from .._errors import NotAnArrayError, UnknownFrameworkError
from ._views import SourceOnly

__all__ = ["XarrayAdapter"]


class XarrayAdapter(SourceOnly):
    name = "xarray"

    def owns(self, tp: type) -> bool:
        return issubclass(tp, (xr.DataArray, xr.Dataset, xr.Variable))

    def coerce(self, x: Any, request: Request) -> tuple[Any, Adapter, str | None]:
        if isinstance(x, xr.Dataset):
            names = ", ".join(map(repr, x.data_vars)) or "none"
            raise NotAnArrayError(
                f"This is an xarray Dataset (variables: {names}), a collection of arrays, not "
                "one array. Convert one variable (ds['name']), or stack them with "
                "ds.to_dataarray() (or interop.to_each(dict(ds.data_vars), target)).")
        data = x.data
        if isinstance(data, np.ndarray):
            return request.adapter("numpy").coerce(data, request)
        framework = type(data).__module__.partition(".")[0]
        try:
            owner = request.adapter(framework)
        except (UnknownFrameworkError, LookupError):
            owner = None
        if owner is None or not owner.owns(type(data)):
            hint = " (a Dask array: call .compute() first)" if framework == "dask" else ""
            raise NotAnArrayError(
                f"This DataArray holds a {type(data).__module__}.{type(data).__qualname__}"
                f"{hint}, which interop has no adapter for. Convert its values first, e.g. "
                "x.to_numpy().")
        return owner.coerce(data, request)

    def describe(self, x: Any) -> ArrayInfo:  # pragma: no cover - coerced before use
        raise NotImplementedError("xarray objects are coerced to their .data first")
