"""``dask_array.to_backend("torch")`` and ``("jax")``: Dask's backend entry points, by interop.

Dask moves chunks between backends only for numpy and cupy.  These entry points
(group ``dask.array.backends``, declared in interop's ``pyproject.toml``) make
``x.to_backend("torch")`` the same lazy, chunk-wise ``interop.to(x, "torch")``.
Dask loads them by name, so importing interop imports no Dask.  They provide no
array *creation* (``da.ones`` under ``array.backend: torch``): Dask's creation
functions assume NumPy dtypes, which torch's are not.
"""

from __future__ import annotations

from typing import Any

from dask.array.backends import ArrayBackendEntrypoint

__all__ = ["JaxBackend", "TorchBackend"]


class _InteropBackend(ArrayBackendEntrypoint):  # type: ignore[misc]
    target = ""

    @classmethod
    def to_backend(cls, data: Any, **kwargs: Any) -> Any:
        from ._convert import to

        return to(data, cls.target, **kwargs)


class TorchBackend(_InteropBackend):
    """``x.to_backend("torch", device=None, copy=None)``: torch chunks, lazily."""

    target = "torch"


class JaxBackend(_InteropBackend):
    """``x.to_backend("jax", device=None, copy=None)``: JAX chunks, lazily."""

    target = "jax"
