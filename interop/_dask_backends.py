"""``dask_array.to_backend("torch")`` and ``("jax")``: Dask's backend entry points, by interop.

Dask moves chunks between backends only for numpy and cupy.  These entry points
(group ``dask.array.backends``, declared in interop's ``pyproject.toml``) make
``x.to_backend("torch")`` the same lazy, chunk-wise ``interop.to(x, "torch")``.
Dask loads them by name, so importing interop imports no Dask.  They provide no
array *creation* (``da.ones`` under ``array.backend: torch``): Dask's creation
functions assume NumPy dtypes, which torch's are not.

The separate ``dask-array`` package reads the same entry-point group but accepts
only instances of *its* ``ArrayBackendEntrypoint``.  So ``TorchBackend`` and
``JaxBackend`` are built when an entry point loads them (a module ``__getattr__``),
with dask-array's base class too once ``dask_array`` is imported; importing this
module never imports ``dask_array`` (which changes Dask's configuration).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from dask.array.backends import ArrayBackendEntrypoint

__all__ = ["JaxBackend", "TorchBackend"]  # noqa: F822 - built by __getattr__

TARGETS = {"TorchBackend": "torch", "JaxBackend": "jax"}
_built: dict[tuple[str, tuple[type, ...]], type] = {}


class _InteropBackend(ArrayBackendEntrypoint):  # type: ignore[misc]
    target = ""

    @classmethod
    def to_backend(cls, data: Any, **kwargs: Any) -> Any:
        from ._convert import to

        return to(data, cls.target, **kwargs)


def _bases() -> tuple[type, ...]:
    """interop's base, and dask-array's entry-point class where ``dask_array`` is loaded."""
    if "dask_array" not in sys.modules:
        return (_InteropBackend,)
    theirs = importlib.import_module("dask_array._backends_array").ArrayBackendEntrypoint
    return (_InteropBackend, theirs)


def __getattr__(name: str) -> type:
    """``TorchBackend`` / ``JaxBackend``: ``x.to_backend(...)`` for either Dask package."""
    target = TARGETS.get(name)
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    bases = _bases()
    cls = _built.get((name, bases))
    if cls is None:
        doc = f'``x.to_backend("{target}", device=None, copy=None)``: {target} chunks, lazily.'
        cls = type(name, bases, {"target": target, "__doc__": doc, "__module__": __name__})
        _built[(name, bases)] = cls
    return cls
