"""Parsing of user input: mistakes become ``UsageError`` (one line on stderr, exit code 2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["UsageError", "parse_dtype", "parse_shape", "parse_sizes"]


class UsageError(Exception):
    """A mistake in the command line; the message says what to type instead."""


def parse_dtype(text: str) -> np.dtype[Any]:
    """A NumPy dtype from its name; bfloat16 and float8 names come from ml_dtypes."""
    try:
        dtype = np.dtype(text)
    except TypeError:
        return _ml_dtype(text)
    if dtype.kind not in "biufc" or dtype.byteorder not in "=|":
        raise UsageError(f"--dtype {text}: only native-order numeric and bool dtypes are "
                         "supported (float32, int64, bool, complex64, bfloat16...)")
    return dtype


def _ml_dtype(text: str) -> np.dtype[Any]:
    try:
        import ml_dtypes
    except ImportError:
        raise UsageError(f"--dtype {text}: not a NumPy dtype (bfloat16 and float8 types need "
                         "ml_dtypes: pip install ml_dtypes)") from None
    kind = getattr(ml_dtypes, text, None)
    if kind is None:
        raise UsageError(f"--dtype {text}: not a NumPy or ml_dtypes dtype name") from None
    dtype: np.dtype[Any] = np.dtype(kind)
    return dtype


def parse_shape(text: str) -> tuple[int, ...]:
    """``"1000,1000"`` or ``"1000x1000"`` -> ``(1000, 1000)``; ``""`` is a 0-d shape."""
    parts = [p.strip() for p in text.lower().replace("x", ",").split(",")] if text else []
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise UsageError(f"--shape {text!r}: give sizes separated by commas, e.g. 1000,1000") \
            from None
    if any(n < 0 for n in shape):
        raise UsageError(f"--shape {text!r}: sizes cannot be negative")
    return shape


def parse_sizes(items: Sequence[str]) -> list[tuple[int, ...]]:
    """Bench sizes: ``4000`` means 4000x4000; ``100x10`` or ``100,10`` a full shape."""
    sizes = []
    for item in items:
        for word in item.split():
            shape = parse_shape(word) if ("x" in word.lower() or "," in word) else None
            if shape is None:
                try:
                    n = int(word)
                except ValueError:
                    raise UsageError(f"--sizes {word!r}: give N (an NxN array) or a shape "
                                     "such as 1000x1000") from None
                if n < 1:
                    raise UsageError(f"--sizes {word!r}: sizes must be positive")
                shape = (n, n)
            sizes.append(shape)
    return sizes


def parse_names(text: str | None, known: Sequence[str]) -> list[str] | None:
    """``--only numpy,torch`` -> the names, checked against ``known``; ``None`` means all."""
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        if name not in known:
            raise UsageError(f"--only {name}: unknown framework; known: {', '.join(known)}")
    return names
