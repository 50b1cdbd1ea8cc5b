"""``interop.namespace``: the array-API namespace of some arrays, through array-api-compat.

The namespace returned is also a valid ``interop.to`` target: ``array_api_compat.numpy``
and ``array_api_compat.torch`` map to ``"numpy"`` and ``"torch"``, ``jax.numpy`` to
``"jax"`` and ``array_api_strict`` to itself, so ``interop.to(y, interop.namespace(x))``
moves ``y`` into the framework of ``x``.
"""

from __future__ import annotations

from typing import Any

from ._errors import InteropError, NotAnArrayError, UnknownFrameworkError
from ._registry import adapter_for
from ._tree import is_array

__all__ = ["namespace"]

#: Values array-API functions accept next to arrays; they do not choose the namespace.
_SCALARS = (bool, int, float, complex, type(None))


def namespace(*arrays: Any) -> Any:
    """The array-API namespace (``xp``) for ``arrays``, all of one framework.

    Python scalars and ``None`` are allowed and ignored.  Arrays of several frameworks
    raise ``InteropError`` naming them (convert first: ``interop.like(y, x)``).  Arrays
    that array-api-compat does not know (a plugin's) get their adapter's ``namespace()``.
    """
    present = [a for a in arrays if type(a) not in _SCALARS]
    frameworks = _frameworks(present)
    try:
        import array_api_compat
    except ImportError as exc:
        raise UnknownFrameworkError(
            "interop.namespace() needs array-api-compat, which is not installed. "
            "Install it with: pip install array-api-compat"
        ) from exc
    try:
        return array_api_compat.array_namespace(*present)
    except TypeError as exc:
        return _adapter_namespace(present[0], frameworks[0], exc)


def _frameworks(present: list[Any]) -> list[str]:
    """The framework of each array, refusing non-arrays, no arrays and mixed frameworks."""
    if not present:
        raise NotAnArrayError(
            "interop.namespace() needs at least one array (Python scalars and None do not "
            "choose a namespace)."
        )
    names: list[str] = []
    for a in present:
        if not is_array(a):
            raise NotAnArrayError(
                f"interop.namespace() takes arrays; got a {type(a).__module__}."
                f"{type(a).__qualname__}. Convert it first, e.g. with interop.to(value, 'numpy')."
            )
        name = adapter_for(a).name
        if name not in names:
            names.append(name)
    if len(names) > 1:
        raise InteropError(
            f"interop.namespace() got arrays of several frameworks: {', '.join(names)}. "
            "An array-API namespace works on one framework; convert the others first, e.g. "
            "y = interop.like(y, x)."
        )
    return names


def _adapter_namespace(x: Any, name: str, cause: Exception) -> Any:
    try:
        return adapter_for(x).namespace()
    except NotImplementedError:
        raise InteropError(
            f"array-api-compat does not know {name} arrays and the {name} adapter has no "
            f"namespace(): {cause}"
        ) from cause
