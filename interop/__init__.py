"""interop: exact, zero-copy array exchange between NumPy, PyTorch, JAX, CuPy and any
DLPack or array-API library.

This module only re-exports; ``import interop`` imports no array framework.
"""

from ._adapter import Adapter, ArrayInfo
from ._convert import explain, to, to_numpy, unsafe_alias
from ._devices import Device
from ._errors import (
    CopyRequiredError,
    InteropError,
    NotAnArrayError,
    UnknownFrameworkError,
    UnsupportedDeviceError,
    UnsupportedDtypeError,
)
from ._like import like
from ._memory import device, framework, shares_memory
from ._namespace import namespace
from ._plan import Plan
from ._registry import AdapterEntry, register, registry, unregister
from ._streams import NO_SYNC
from ._tree import is_array, to_each, via

__version__ = "0.2.0.dev0"

__all__ = [
    "NO_SYNC",
    "Adapter",
    "AdapterEntry",
    "ArrayInfo",
    "CopyRequiredError",
    "Device",
    "InteropError",
    "NotAnArrayError",
    "Plan",
    "UnknownFrameworkError",
    "UnsupportedDeviceError",
    "UnsupportedDtypeError",
    "__version__",
    "device",
    "explain",
    "framework",
    "is_array",
    "like",
    "namespace",
    "register",
    "registry",
    "shares_memory",
    "to",
    "to_each",
    "to_numpy",
    "unregister",
    "unsafe_alias",
    "via",
]
