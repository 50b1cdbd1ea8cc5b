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

import contextlib
import difflib
import importlib
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType, ModuleType
from typing import Any

from ._adapter import Adapter
from ._errors import InteropError, NotAnArrayError, UnknownFrameworkError

__all__ = ["AdapterEntry", "Registry", "adapter_for", "on_change", "register", "registry",
           "resolve_target", "use"]

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
        AdapterEntry("dask", "interop.adapters.dask:DaskAdapter",
                     "pip install 'dask[array,distributed]'", True),
        AdapterEntry("tensorflow", "interop.adapters.tensorflow:TensorFlowAdapter",
                     "pip install tensorflow-cpu", True),
        AdapterEntry("mlx", "interop.adapters.mlx:MlxAdapter", "pip install mlx", True),
        AdapterEntry("paddle", "interop.adapters.paddle:PaddleAdapter",
                     "pip install paddlepaddle", True),
        AdapterEntry("pandas", "interop.adapters.pandas:PandasAdapter", "pip install pandas",
                     True),
        AdapterEntry("xarray", "interop.adapters.xarray:XarrayAdapter", "pip install xarray",
                     True),
        AdapterEntry("pil", "interop.adapters.pil:PilAdapter", "pip install pillow", True),
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
               "cupy": ("cupy",), "array_api_strict": ("array_api_strict",),
               "dask": ("dask", "dask_array"),
               "tensorflow": ("tensorflow",), "mlx": ("mlx",), "paddle": ("paddle",),
               "pandas": ("pandas",), "xarray": ("xarray",), "pil": ("PIL",)}

#: Most types whose adapter is remembered; the table is emptied beyond it.
MAX_TYPES = 1024
_SOURCE_METHODS = ("describe", "coerce")
_TARGET_METHODS = ("from_numpy", "copy_from_numpy", "from_host", "check_dtype", "check_device")


class Registry:
    """Every adapter interop knows, the per-type detection cache, and who to tell of changes.

    One object holds all of it, so that a test can work on a fresh registry (``use``)
    instead of flipping module globals, and so that every ``register``/``unregister``
    empties every cache that depends on it (the route tables listen through ``on_change``).
    """

    def __init__(self) -> None:
        self.entries: dict[str, AdapterEntry] = dict(_BUILTIN)
        self.loaded: dict[str, Adapter] = {}
        self.types: dict[type, Adapter] = {}
        self.targets: dict[Any, Adapter] = {}
        self.plugins_read = False
        self.lock = threading.RLock()

    def changed(self) -> None:
        self.types.clear()
        self.targets.clear()
        for listener in _listeners:
            listener()


_listeners: list[Callable[[], None]] = []
_generic: list[Adapter] = []
_lock = threading.RLock()
_current = Registry()


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener()`` whenever adapters are registered or removed."""
    _listeners.append(listener)


@contextlib.contextmanager
def use(fresh: Registry | None = None) -> Iterator[Registry]:
    """Work on another registry (a fresh one by default) inside the block; for tests."""
    global _current
    previous, _current = _current, fresh or Registry()
    _current.changed()
    try:
        yield _current
    finally:
        _current = previous
        _current.changed()


def registry() -> Mapping[str, AdapterEntry]:
    """A read-only view of every known adapter, installed or not."""
    return MappingProxyType(_current.entries)


def register(adapter: Adapter, *, replace: bool = False) -> None:
    """Add ``adapter`` under ``adapter.name``; refuse to replace an existing name silently."""
    _validate(adapter)
    reg = _current
    with reg.lock:
        if adapter.name in reg.entries and not replace:
            raise InteropError(
                f"An adapter named {adapter.name!r} is already registered. Pass replace=True to "
                "replace it, or give your adapter another name."
            )
        path = f"{type(adapter).__module__}:{type(adapter).__qualname__}"
        reg.entries[adapter.name] = AdapterEntry(adapter.name, path, "", builtin=False)
        reg.loaded[adapter.name] = adapter
        reg.changed()


def _validate(adapter: object) -> None:
    """A source must say what its arrays are; a target must be able to import them."""
    if not isinstance(adapter, Adapter) or not getattr(adapter, "name", ""):
        raise TypeError(
            f"register() takes an interop.Adapter instance with a name, not {adapter!r}. "
            "Subclass interop.Adapter, set `name`, and pass an instance."
        )
    cls = type(adapter)

    def overrides(method: str) -> bool:
        return getattr(cls, method) is not getattr(Adapter, method)

    missing = []
    if overrides("owns") and not any(overrides(m) for m in _SOURCE_METHODS):
        missing.append("describe (it owns arrays, so it is a source)")
    if any(overrides(m) for m in _TARGET_METHODS) and not overrides("from_dlpack"):
        missing.append("from_dlpack (it defines target methods, so it is a target)")
    if missing:
        raise TypeError(
            f"The adapter {adapter.name!r} ({cls.__qualname__}) does not implement "
            f"{' and '.join(missing)}. Implement the missing method(s); see interop.Adapter."
        )


def unregister(name: str) -> None:
    """Remove a registered (non built-in) adapter; mainly for tests."""
    reg = _current
    with reg.lock:
        if name in _BUILTIN:
            raise InteropError(f"{name!r} is a built-in adapter and cannot be removed.")
        reg.entries.pop(name, None)
        reg.loaded.pop(name, None)
        reg.changed()


def _load(name: str) -> Adapter:
    reg = _current
    cached = reg.loaded.get(name)
    if cached is not None:
        return cached
    entry = reg.entries[name]
    module_name, _, class_name = entry.path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise UnknownFrameworkError(
            f"{name} could not be imported ({type(exc).__name__}: {exc}), so interop cannot "
            f"convert to or from it. Install or repair it: {entry.install_hint}"
        ) from exc
    adapter: Adapter = getattr(module, class_name)()
    reg.loaded[name] = adapter
    return adapter


def load_adapter(name: str) -> Adapter:
    """The adapter registered as ``name``, loading it (and its framework) on first use."""
    reg = _current
    with reg.lock:
        if name not in reg.entries:
            _read_plugins()
        if name not in reg.entries:
            raise UnknownFrameworkError(_unknown_name_message(name, reg.entries))
        return _load(name)


def _unknown_name_message(name: str, entries: Mapping[str, AdapterEntry]) -> str:
    close = difflib.get_close_matches(name.lower(), list(entries), n=2, cutoff=0.5)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    return (f"No framework is registered as {name!r}.{hint} "
            f"Known names: {', '.join(sorted(entries))}. "
            "A third-party framework needs an adapter: see interop.register().")


def adapter_for(x: object) -> Adapter:
    """The adapter owning ``x``; cached per type so repeated calls cost one dict lookup."""
    tp = type(x)
    types = _current.types
    adapter = types.get(tp)
    if adapter is None:
        adapter = _detect(tp, x)
        if len(types) >= MAX_TYPES:
            types.clear()
        types[tp] = adapter
    return adapter


def _detect(tp: type, x: object) -> Adapter:
    with _current.lock:
        for adapter in _framework_adapters():
            if adapter.owns(tp):
                return adapter
        if _read_plugins():
            return _detect(tp, x)
        for adapter in _generic_adapters():
            if adapter.owns(tp):
                return adapter
        for adapter in _generic_adapters():  # protocols only an instance shows
            owns_instance = getattr(adapter, "owns_instance", None)
            if owns_instance is not None and owns_instance(x):
                return adapter
    raise NotAnArrayError(
        f"interop cannot convert a {tp.__module__}.{tp.__qualname__}: it is not an array of a "
        "known framework and has no __dlpack__, __array__, __array_interface__ or buffer "
        "protocol. Pass an array, a Python number, or a (nested) list of numbers."
    )


def _framework_adapters() -> list[Adapter]:
    """Loaded adapters plus built-ins whose framework is already imported (never imports one)."""
    reg = _current
    found = []
    for name, entry in list(reg.entries.items()):
        if name in reg.loaded:
            found.append(reg.loaded[name])
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
    if isinstance(target, Adapter):
        return target  # not cached: the caches must not keep a caller's adapter alive
    targets = _current.targets
    try:
        return targets[target]
    except KeyError:
        pass
    except TypeError:
        raise UnknownFrameworkError(_bad_target_message(target)) from None
    adapter = _resolve_uncached(target)
    targets[target] = adapter
    return adapter


def _resolve_uncached(target: object) -> Adapter:
    if isinstance(target, Adapter):
        return target
    if isinstance(target, str):
        if target not in _current.entries and "." in target:
            return load_adapter(_name_of_module(target))  # "jax.numpy", "array_api_compat.torch"
        return load_adapter(target)
    if isinstance(target, ModuleType):
        return load_adapter(_name_of_module(target.__name__))
    raise UnknownFrameworkError(_bad_target_message(target))


def _name_of_module(module_name: str) -> str:
    for name in list(_current.entries):
        adapter = _current.loaded.get(name)
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
    reg = _current
    if reg.plugins_read:
        return False
    reg.plugins_read = True
    from importlib.metadata import entry_points

    added = False
    seen: set[str] = set()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in seen or ep.name in reg.entries:
            warnings.warn(
                f"interop: two adapters are named {ep.name!r} (entry point {ep.value} and "
                "another one or a built-in); the first one found is used.",
                RuntimeWarning, stacklevel=2)
            continue
        seen.add(ep.name)
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
