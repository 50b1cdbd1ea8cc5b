"""pandas Series, DataFrame and Index as array sources (framework ``"pandas"``).

A Series or Index converts as ``to_numpy()`` gives it; a DataFrame whose columns share
one dtype as the 2-D ``(rows, columns)`` array ``df.to_numpy()`` gives.  Under pandas 3
copy-on-write every such array is a read-only view, so pandas is a read-only source
(``immutable``): NumPy gets the read-only view (``copy=False`` too), writable targets a
copy, or ``CopyRequiredError`` under ``copy=False``.  Nothing is ever converted
inexactly: nullable columns holding ``NA`` would become float64 with NaN, and object,
string, categorical and datetime columns are not numbers, so all of these are refused
with what to call instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._adapter import ArrayInfo
from .._devices import CPU, Device
from .._dtypes import numpy_name
from .._errors import UnsupportedDtypeError
from ._views import SourceOnly, info_of_view

__all__ = ["PandasAdapter"]

_NUMERIC = "biufc"


def _what(x: Any) -> str:
    kind = type(x).__name__
    return f"{kind} {x.name!r}" if getattr(x, "name", None) is not None else kind


def _check(dtype: Any, where: str, values: Any) -> np.dtype[Any] | None:
    """The NumPy dtype to ask ``to_numpy`` for (``None``: its own), or a clear refusal."""
    if isinstance(dtype, np.dtype):
        if dtype.kind in _NUMERIC:
            return None
        hint = ("x.astype('int64') gives the nanoseconds of datetimes/timedeltas"
                if dtype.kind in "Mm" else "convert it to a numeric dtype first")
        raise UnsupportedDtypeError(
            f"{where} has dtype {dtype}, which is not numeric; interop converts numeric pandas "
            f"data only (bool, integers, floats, complex). {hint.capitalize()}, or call "
            ".to_numpy() yourself.")
    numpy_dtype = getattr(dtype, "numpy_dtype", None)
    masked = type(dtype).__name__ in ("Int8Dtype", "Int16Dtype", "Int32Dtype", "Int64Dtype",
                                      "UInt8Dtype", "UInt16Dtype", "UInt32Dtype", "UInt64Dtype",
                                      "Float32Dtype", "Float64Dtype", "BooleanDtype")
    if masked and isinstance(numpy_dtype, np.dtype):
        if bool(pd.isna(values).any()):
            raise UnsupportedDtypeError(
                f"{where} has the nullable dtype {dtype} and holds missing values (pd.NA); "
                "interop will not silently turn them into NaN or another value. Choose the "
                f"replacement yourself: .to_numpy(dtype='float64', na_value=np.nan), or "
                ".fillna(0) first.")
        return numpy_dtype
    raise UnsupportedDtypeError(
        f"{where} has dtype {dtype} (object, string, categorical, sparse, Arrow or another "
        "extension dtype); interop converts numeric data only. Convert it first, e.g. "
        ".astype('float64'), .cat.codes for categories, or .to_numpy(dtype=..., na_value=...).")


def _values(x: Any) -> tuple[np.ndarray, str | None]:
    """The NumPy array ``x`` converts as, and why it is a copy (``None``: a view)."""
    if isinstance(x, pd.DataFrame):
        return _frame_values(x)
    wanted = _check(x.dtype, _what(x), x)
    if wanted is not None:
        return x.to_numpy(dtype=wanted), (
            f"the nullable {x.dtype} values are stored beside a mask, so they are copied out")
    if isinstance(x, pd.RangeIndex):
        return x.to_numpy(), "a RangeIndex stores no values, so its array is made anew"
    return x.to_numpy(), None


def _frame_values(df: Any) -> tuple[np.ndarray, str | None]:
    dtypes = {str(d): d for d in df.dtypes}
    if len(dtypes) > 1:
        columns = ", ".join(f"{c!r} ({d})" for c, d in df.dtypes.items())
        raise UnsupportedDtypeError(
            f"This DataFrame mixes dtypes ({columns}); as one 2-D array it would be upcast. "
            "Select columns of one dtype (df[[...]]), or convert with "
            "df.to_numpy(dtype=...) and pass that.")
    wanted = None
    for column, dtype in df.dtypes.items():
        wanted = _check(dtype, f"DataFrame column {column!r}", df[column])
    view = df.to_numpy(dtype=wanted)
    if wanted is not None:
        return view, "nullable columns are stored beside a mask, so they are copied out"
    if view.size and not np.may_share_memory(view, df.iloc[:, 0].to_numpy()):
        return view, ("its columns are stored in separate blocks, so df.to_numpy() copies "
                      "them into one 2-D array")
    return view, None


class PandasAdapter(SourceOnly):
    name = "pandas"
    immutable = True  # pandas 3 copy-on-write: its arrays are read-only views

    def owns(self, tp: type) -> bool:
        return issubclass(tp, (pd.Series, pd.DataFrame, pd.Index)) \
            and not issubclass(tp, pd.MultiIndex)

    def describe(self, x: Any) -> ArrayInfo:
        view, copied = _values(x)
        return info_of_view(view, numpy_name(view.dtype), input_copied=copied)

    def device_of(self, x: Any) -> Device:
        return CPU

    def host_view(self, x: Any) -> np.ndarray:
        return _values(x)[0]

    def dlpack_producer(self, x: Any) -> Any:
        return _values(x)[0]
