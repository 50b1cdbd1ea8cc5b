"""The exception tree of interop.

Every error is also the builtin a caller would naturally catch, so code
written against plain NumPy/torch error handling keeps working::

    Exception
    └── InteropError
        ├── CopyRequiredError        (also ValueError)
        ├── UnsupportedDtypeError    (also TypeError)
        ├── UnsupportedDeviceError   (also ValueError)
        ├── NotAnArrayError          (also TypeError)
        └── UnknownFrameworkError    (also ValueError)

A framework's own exception never escapes a conversion: it is re-raised as
one of these with the original kept as ``__cause__``.
"""

from __future__ import annotations

__all__ = [
    "CopyRequiredError",
    "InteropError",
    "NotAnArrayError",
    "UnknownFrameworkError",
    "UnsupportedDeviceError",
    "UnsupportedDtypeError",
]


class InteropError(Exception):
    """Base class of every error raised by interop."""


class CopyRequiredError(InteropError, ValueError):
    """``copy=False`` was asked for, but the conversion cannot share memory."""


class UnsupportedDtypeError(InteropError, TypeError):
    """The dtype cannot be represented exactly by the target."""


class UnsupportedDeviceError(InteropError, ValueError):
    """The device does not exist, or the target framework cannot hold it."""


class NotAnArrayError(InteropError, TypeError):
    """The input is not an array and implements no array protocol."""


class UnknownFrameworkError(InteropError, ValueError):
    """The target names no registered framework, or one that is not installed."""
