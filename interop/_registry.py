"""The adapter registry: built-in table, detection by type, plugins.

Built-in adapters are listed by dotted path and loaded only when needed, so
``import interop`` imports no framework.  A type is matched to an adapter by
asking only the adapters whose framework is already in ``sys.modules`` (an
array of a framework cannot exist before the framework is imported), and the
answer is cached per type.  Third-party adapters come from ``register()`` or
from the ``interop.adapters`` entry-point group, read once, lazily, the first
time an unknown type or target name is met.
"""

from __future__ import annotations

import importlib
import sys
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType, ModuleType
from typing import Any

from ._adapter import Adapter, FastRoute
from ._errors import InteropError, NotAnArrayError, UnknownFrameworkError

__all__ = ["AdapterEntry", "adapter_for", "register", "registry", "resolve_target"]

ENTRY_POINT_GROUP = "interop.adapters"


@dataclass(frozen=True, slots=True)
class AdapterEntry:
    """One row of the registry: where an adapter lives and how to get its framework."""

    name: str
    path: str
    install_hint: str
    builtin: bool


_BUILTIN: dict[str, AdapterEntry] = {
    e.name: e for e in (
        AdapterEntry("numpy", "interop.adapters.numpy:NumpyAdapter", "pip install numpy", True),
        AdapterEntry("torch", "interop.adapters.torch:TorchAdapter", "pip install torch", True),
        AdapterEntry("jax", "interop.adapters.jax:JaxAdapter", "pip install 'jax[cpu]'", True),
        AdapterEntry("cupy", "interop.adapters.cupy:CupyAdapter", "pip install cupy-cuda12x",
                     True),
        AdapterEntry("array_api_strict", "interop.adapters.array_api_strict:StrictAdapter",
                     "pip install array-api-strict", True),
    )
}
#: Protocol adapters, tried in order after every framework adapter.
_GENERIC_PATHS = (
    "interop.adapters.dlpack:CapsuleAdapter",
    "interop.adapters.dlpack:DLPackAdapter",
    "interop.adapters.cai:CudaArrayInterfaceAdapter",
    "interop.adapters.host:BufferAdapter",
    "interop.adapters.host:PythonAdapter",
)
#: Modules (``sys.modules`` keys) whose arrays each built-in adapter may own.
_MODULES_OF = {"numpy": ("numpy",), "torch": ("torch",), "jax": ("jax", "jaxlib"),
               "cupy": ("cupy",), "array_api_strict": ("array_api_strict",)}

_entries: dict[str, AdapterEntry] = dict(_BUILTIN)
_loaded: dict[str, Adapter] = {}
_generic: list[Adapter] = []
_type_cache: dict[type, Adapter] = {}
_target_cache: dict[Any, Adapter] = {}
#: target -> type -> fast route; read by ``interop.to`` without locking (dict reads are atomic).
FAST_ROUTES: dict[Any, dict[type, FastRoute | None]] = {}
#: The same for ``copy=True``: native calls that always return a new, exact buffer.
COPY_ROUTES: dict[Any, dict[type, FastRoute]] = {}
_lock = threading.RLock()
_plugins_read = False


def registry() -> Mapping[str, AdapterEntry]:
    """A read-only view of every known adapter, installed or not."""
    return MappingProxyType(_entries)


def register(adapter: Adapter, *, replace: bool = False) -> None:
    """Add ``adapter`` under ``adapter.name``; refuse to replace an existing name silently."""
    if not isinstance(adapter, Adapter) or not adapter.name:
        raise TypeError(
            f"register() takes an interop.Adapter instance with a name, not {adapter!r}."
        )
    with _lock:
        if adapter.name in _entries and not replace:
            raise InteropError(
                f"An adapter named {adapter.name!r} is already registered. Pass replace=True to "
                "replace it, or give your adapter another name."
            )
        path = f"{type(adapter).__module__}:{type(adapter).__qualname__}"
        _entries[adapter.name] = AdapterEntry(adapter.name, path, "", builtin=False)
        _loaded[adapter.name] = adapter
        _clear_caches()


def unregister(name: str) -> None:
    """Remove a registered (non built-in) adapter; mainly for tests."""
    with _lock:
        if name in _BUILTIN:
            raise InteropError(f"{name!r} is a built-in adapter and cannot be removed.")
        _entries.pop(name, None)
        _loaded.pop(name, None)
        _clear_caches()


def _clear_caches() -> None:
    _type_cache.clear()
    _target_cache.clear()
    FAST_ROUTES.clear()
    COPY_ROUTES.clear()


def _load(name: str) -> Adapter:
    cached = _loaded.get(name)
    if cached is not None:
        return cached
    entry = _entries[name]
    module_name, _, class_name = entry.path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UnknownFrameworkError(
            f"{name} is not installed, so interop cannot convert to or from it. "
            f"Install it with: {entry.install_hint}"
        ) from exc
    adapter: Adapter = getattr(module, class_name)()
    _loaded[name] = adapter
    return adapter


def load_adapter(name: str) -> Adapter:
    """The adapter registered as ``name``, loading it (and its framework) on first use."""
    with _lock:
        if name not in _entries:
            _read_plugins()
        if name not in _entries:
            raise UnknownFrameworkError(
                f"No framework is registered as {name!r}. "
                f"Known names: {', '.join(sorted(_entries))}. "
                "A third-party framework needs an adapter: see interop.register()."
            )
        return _load(name)


def adapter_for(x: object) -> Adapter:
    """The adapter owning ``x``; cached per type so repeated calls cost one dict lookup."""
    tp = type(x)
    adapter = _type_cache.get(tp)
    if adapter is None:
        adapter = _detect(tp, x)
        _type_cache[tp] = adapter
    return adapter


def _detect(tp: type, x: object) -> Adapter:
    with _lock:
        for adapter in _framework_adapters():
            if adapter.owns(tp):
                return adapter
        if _read_plugins():
            return _detect(tp, x)
        for adapter in _generic_adapters():
            if adapter.owns(tp):
                return adapter
    raise NotAnArrayError(
        f"interop cannot convert a {tp.__module__}.{tp.__qualname__}: it is not an array of a "
        "known framework and has no __dlpack__, __array__, __array_interface__ or buffer "
        "protocol. Pass an array, a Python number, or a (nested) list of numbers."
    )


def _framework_adapters() -> list[Adapter]:
    """Loaded adapters plus built-ins whose framework is already imported (never imports one)."""
    found = []
    for name, entry in list(_entries.items()):
        if name in _loaded:
            found.append(_loaded[name])
        elif entry.builtin and any(m in sys.modules for m in _MODULES_OF.get(name, ())):
            try:
                found.append(_load(name))
            except UnknownFrameworkError:
                continue
    return found


def _generic_adapters() -> list[Adapter]:
    if not _generic:
        for path in _GENERIC_PATHS:
            module_name, _, class_name = path.partition(":")
            _generic.append(getattr(importlib.import_module(module_name), class_name)())
    return _generic


def resolve_target(target: object) -> Adapter:
    """The adapter for a target given as a name, a module, a namespace or an ``Adapter``."""
    try:
        return _target_cache[target]
    except KeyError:
        pass
    except TypeError:
        raise UnknownFrameworkError(_bad_target_message(target)) from None
    adapter = _resolve_uncached(target)
    _target_cache[target] = adapter
    return adapter


def _resolve_uncached(target: object) -> Adapter:
    if isinstance(target, Adapter):
        return target
    if isinstance(target, str):
        return load_adapter(target)
    if isinstance(target, ModuleType):
        return load_adapter(_name_of_module(target.__name__))
    raise UnknownFrameworkError(_bad_target_message(target))


def _name_of_module(module_name: str) -> str:
    for name in list(_entries):
        adapter = _loaded.get(name)
        modules = adapter.target_modules if adapter is not None else ()
        if module_name == name or module_name in modules:
            return name
    top, _, rest = module_name.partition(".")
    if top == "array_api_compat" and rest:  # array_api_compat.numpy -> numpy
        return rest.partition(".")[0]
    if top == "jax":
        return "jax"
    return top


def _bad_target_message(target: object) -> str:
    return (
        f"The target {target!r} is not a framework. Pass a name such as 'numpy', 'torch', "
        "'jax', 'cupy' or 'array_api_strict', or the module itself (numpy, torch, jax.numpy)."
    )


def _read_plugins() -> bool:
    """Load entry-point adapters once; True if that added any. Broken plugins only warn."""
    global _plugins_read
    if _plugins_read:
        return False
    _plugins_read = True
    from importlib.metadata import entry_points

    added = False
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _entries:
            continue
        try:
            adapter = ep.load()()
            register(adapter)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break conversions
            warnings.warn(
                f"interop: the adapter plugin {ep.name!r} ({ep.value}) failed to load and is "
                f"ignored: {type(exc).__name__}: {exc}",
                RuntimeWarning, stacklevel=2,
            )
            continue
        added = True
    return added
