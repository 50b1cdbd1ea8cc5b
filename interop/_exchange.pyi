"""Type stub of the optional C extension ``interop._exchange`` (see ``_exchange.c``)."""

from collections.abc import Callable
from typing import Any

class ToNumpy:
    """A framework tensor as an ndarray view, through the type's DLPack C exchange table."""

    other: Callable[[Any], Any]

    def __init__(self, api: Any, dtypes: tuple[tuple[int, int, Any], ...],
                 exact: tuple[type, ...], other: Callable[[Any], Any],
                 fallback: type[BaseException], check_bits: bool = True, /) -> None: ...
    def __call__(self, x: Any, /) -> Any: ...

class FromNumpy:
    """An ndarray adopted as a framework tensor, through the DLPack C exchange table."""

    other: Callable[[Any], Any]

    def __init__(self, api: Any, dtypes: tuple[tuple[Any, int, int], ...],
                 other: Callable[[Any], Any], fallback: type[BaseException], /) -> None: ...
    def __call__(self, x: Any, /) -> Any: ...

def capsule_header(capsule: Any, name: str, versioned: bool, max_ndim: int, /
                   ) -> tuple[Any, ...]:
    """The raw fields of a DLPack capsule, read without consuming it."""

def capsule_name(capsule: Any, /) -> str:
    """A capsule's name, "" for none."""

def export_versioned(api: Any, tensor: Any, /) -> Any:
    """A ``dltensor_versioned`` capsule of ``tensor``, through its type's exchange table."""
