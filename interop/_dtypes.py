"""Canonical dtype names and their DLPack codes.

Adapters translate their own dtype objects to these names, so that planning
compares plain strings and never imports a framework.  NumPy has no bfloat16,
float8, float6, float4 or sub-byte integers: ``ml_dtypes`` (an optional extra)
supplies them, one value per byte.

DLPack 1.1 codes: kDLFloat8_e3m4 (7) ... kDLFloat8_e8m0fnu (14), kDLFloat6_e2m3fn (15),
kDLFloat6_e3m2fn (16), kDLFloat4_e2m1fn (17); sub-byte integers are kDLInt/kDLUInt with
bits 4 or 2.  Sub-byte data is *packed* (little bit-endian) unless the versioned flag
``IS_SUBBYTE_TYPE_PADDED`` says one value per byte; interop reads one-per-byte data only
(what ml_dtypes and JAX hold) and never reinterprets one as the other.
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
    "float8_e3m4": (7, 8), "float8_e4m3": (8, 8), "float8_e4m3b11fnuz": (9, 8),
    "float8_e4m3fn": (10, 8), "float8_e4m3fnuz": (11, 8), "float8_e5m2": (12, 8),
    "float8_e5m2fnuz": (13, 8), "float8_e8m0fnu": (14, 8),
    "float6_e2m3fn": (15, 6), "float6_e3m2fn": (16, 6), "float4_e2m1fn": (17, 4),
    "int4": (0, 4), "uint4": (1, 4), "int2": (0, 2), "uint2": (1, 2),
}
_NAME_OF_CODE = {v: k for k, v in DLPACK_CODES.items()}

#: Formats narrower than a byte: stored one value per byte by ml_dtypes and JAX.
SUB_BYTE = frozenset(name for name, (_, bits) in DLPACK_CODES.items() if bits < 8)
#: Dtypes NumPy only knows through ml_dtypes.
EXTENDED = frozenset({"bfloat16", *(n for n in DLPACK_CODES if n.startswith("float") and
                                    DLPACK_CODES[n][1] <= 8)}) | SUB_BYTE
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
    name = _numpy_cache.get(dtype)  # numpy_name's cache, read without its call
    if name is not None:
        return name
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


def from_dlpack_code(code: int, bits: int, lanes: int, padded: bool = False) -> str:
    """The canonical name of a DLPack ``(code, bits, lanes)`` triple.

    ``padded``: the capsule's ``IS_SUBBYTE_TYPE_PADDED`` flag (one sub-byte value per byte).
    """
    name = _NAME_OF_CODE.get((code, bits))
    if code == 17 and bits == 4 and lanes == 2:
        raise UnsupportedDtypeError(
            "This capsule holds float4_e2m1fn_x2 (two float4 values packed in each byte, "
            "torch's format); NumPy and JAX hold float4_e2m1fn one value per byte. Unpack it "
            "in torch first (e.g. view it as uint8 and split the nibbles).")
    if name is None or lanes != 1:
        raise UnsupportedDtypeError(
            f"DLPack dtype (code={code}, bits={bits}, lanes={lanes}) is not supported by interop."
        )
    if name in SUB_BYTE and not padded:
        raise UnsupportedDtypeError(
            f"This capsule holds {name} packed ({bits} bits per value, several in a byte); "
            "interop exchanges sub-byte formats one value per byte (the DLPack flag "
            "IS_SUBBYTE_TYPE_PADDED), as ml_dtypes and JAX store them. Unpack it first.")
    return name


def same_width_uint(name: str) -> str:
    """The unsigned integer dtype of ``name``'s storage; used to bit-cast extended dtypes.

    Sub-byte formats are stored one value per byte, so their storage is ``uint8``.
    """
    return f"uint{max(DLPACK_CODES[name][1], 8)}"
