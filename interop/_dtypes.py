"""Canonical dtype names and their DLPack codes.

Adapters translate their own dtype objects to these names, so that planning
compares plain strings and never imports a framework.  NumPy has no bfloat16
or float8: ``ml_dtypes`` (an optional extra) supplies them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._errors import UnsupportedDtypeError

__all__ = ["DLPACK_CODES", "EXTENDED", "WIDE", "from_dlpack_code", "numpy_dtype", "numpy_name"]

# canonical name -> (DLPack type code, bits)
DLPACK_CODES: dict[str, tuple[int, int]] = {
    "bool": (6, 8),
    "int8": (0, 8), "int16": (0, 16), "int32": (0, 32), "int64": (0, 64),
    "uint8": (1, 8), "uint16": (1, 16), "uint32": (1, 32), "uint64": (1, 64),
    "float16": (2, 16), "float32": (2, 32), "float64": (2, 64),
    "bfloat16": (4, 16),
    "complex64": (5, 64), "complex128": (5, 128),
    "float8_e4m3fn": (10, 8), "float8_e5m2": (12, 8),
}
_NAME_OF_CODE = {v: k for k, v in DLPACK_CODES.items()}

#: Dtypes NumPy only knows through ml_dtypes.
EXTENDED = frozenset({"bfloat16", "float8_e4m3fn", "float8_e5m2"})
#: 64-bit dtypes that JAX narrows unless x64 is enabled.
WIDE = frozenset({"int64", "uint64", "float64", "complex128"})

_NUMPY_KINDS_REFUSED = {
    "O": "object", "U": "str", "S": "bytes", "M": "datetime64", "m": "timedelta64",
    "V": "structured/void",
}

_numpy_cache: dict[Any, str] = {}


def numpy_name(dtype: np.dtype[Any]) -> str:
    """The canonical name of a NumPy dtype, or ``UnsupportedDtypeError``."""
    name = _numpy_cache.get(dtype)
    if name is None:
        name = _numpy_name_slow(dtype)
        _numpy_cache[dtype] = name
    return name


def _numpy_name_slow(dtype: np.dtype[Any]) -> str:
    native = dtype.newbyteorder("=") if not dtype.isnative else dtype
    if native.name in DLPACK_CODES:
        return native.name
    if native.name in EXTENDED:  # an ml_dtypes dtype
        return native.name
    raise UnsupportedDtypeError(numpy_only_message(dtype, "other frameworks"))


#: Prefix of the canonical name of a dtype only NumPy holds (str, datetime64, structured...).
NUMPY_ONLY = "numpy-only:"


def describe_numpy_dtype(dtype: np.dtype[Any]) -> str:
    """Like ``numpy_name``, but a NumPy-only dtype gets a name instead of an error.

    NumPy targets hold every NumPy dtype; other targets refuse ``NUMPY_ONLY`` names
    (``refuse_numpy_only``), naming themselves.
    """
    try:
        return numpy_name(dtype)
    except UnsupportedDtypeError:
        return f"{NUMPY_ONLY}{dtype.str}"


def numpy_only_message(dtype: Any, target: str) -> str:
    dtype = np.dtype(dtype)
    kind = _NUMPY_KINDS_REFUSED.get(dtype.kind)
    if dtype.newbyteorder("=") == np.dtype(np.longdouble):
        kind = "longdouble"
    return (
        f"dtype {dtype} ({kind or dtype.kind}) has no exact equivalent in {target}; only NumPy "
        "holds it. Supported dtypes are bool, (u)int8-64, float16/32/64, complex64/128, "
        "bfloat16 and float8; convert it first, e.g. x.astype('float64'), or convert to numpy."
    )


def refuse_numpy_only(name: str, target: str) -> None:
    """Raise ``UnsupportedDtypeError`` for a NumPy-only dtype going to another framework."""
    if name.startswith(NUMPY_ONLY):
        raise UnsupportedDtypeError(numpy_only_message(name[len(NUMPY_ONLY):], target))


def known_numpy_dtypes() -> frozenset[np.dtype[Any]]:
    """Every NumPy dtype ``numpy_name`` accepts in native byte order (ml_dtypes' if present)."""
    found = set()
    for name in DLPACK_CODES:
        try:
            found.add(numpy_dtype(name))
        except UnsupportedDtypeError:
            continue
    return frozenset(found)


def numpy_dtype(name: str) -> np.dtype[Any]:
    """The NumPy dtype for a canonical name, importing ml_dtypes for the extended ones."""
    if name not in EXTENDED:
        return np.dtype(name)
    try:
        import ml_dtypes
    except ImportError:
        raise UnsupportedDtypeError(
            f"NumPy has no {name} dtype of its own; install ml_dtypes to use it: "
            "pip install ml_dtypes"
        ) from None
    extended: np.dtype[Any] = np.dtype(getattr(ml_dtypes, name))
    return extended


def from_dlpack_code(code: int, bits: int, lanes: int) -> str:
    """The canonical name of a DLPack ``(code, bits, lanes)`` triple."""
    name = _NAME_OF_CODE.get((code, bits))
    if name is None or lanes != 1:
        raise UnsupportedDtypeError(
            f"DLPack dtype (code={code}, bits={bits}, lanes={lanes}) is not supported by interop."
        )
    return name


def same_width_uint(name: str) -> str:
    """The unsigned integer dtype with the width of ``name``; used to bit-cast extended dtypes."""
    return f"uint{DLPACK_CODES[name][1]}"
