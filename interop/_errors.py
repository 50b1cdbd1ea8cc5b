"""The exception tree of interop.

Every error is also the builtin a caller would naturally catch, so code
written against plain NumPy/torch error handling keeps working::

    Exception
    ├── InteropError
    │   ├── CopyRequiredError        (also ValueError; ``reasons``: why a copy is needed)
    │   ├── UnsupportedDtypeError    (also TypeError)
    │   ├── UnsupportedDeviceError   (also ValueError)
    │   ├── NotAnArrayError          (also TypeError)
    │   └── UnknownFrameworkError    (also ValueError)
    └── RouteFallback                (internal: a remembered route hands a value back)

A framework's own exception never escapes a conversion: it is re-raised as
one of these with the original kept as ``__cause__``.  ``RouteFallback`` never
reaches a caller: a remembered route raises it for a value its plan does not
cover, and the planner then decides that value.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CopyRequiredError",
    "InteropError",
    "NotAnArrayError",
    "RouteFallback",
    "UnknownFrameworkError",
    "UnsupportedDeviceError",
    "UnsupportedDtypeError",
]


class InteropError(Exception):
    """Base class of every error raised by interop."""


class CopyRequiredError(InteropError, ValueError):
    """``copy=False`` was asked for, but the conversion cannot share memory.

    ``reasons`` holds every reason as a separate string (the message joins them).
    """

    def __init__(self, message: str, reasons: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.reasons = tuple(reasons)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.reasons))


class UnsupportedDtypeError(InteropError, TypeError):
    """The dtype cannot be represented exactly by the target."""


class UnsupportedDeviceError(InteropError, ValueError):
    """The device does not exist, or the target framework cannot hold it."""


class NotAnArrayError(InteropError, TypeError):
    """The input is not an array and implements no array protocol."""


class UnknownFrameworkError(InteropError, ValueError):
    """The target names no registered framework, or one that is not installed."""


class RouteFallback(Exception):
    """Raised by a remembered route for a value whose plan would differ; the planner runs."""
