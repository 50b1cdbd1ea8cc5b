"""``interop info``: the interpreter, interop, every known framework and the GPUs."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import platform
import sys
from importlib import metadata
from typing import Any

import interop

from ._table import print_table

__all__ = ["add_parser", "fast_path_line", "frameworks", "gpus", "run"]

#: Distributions that provide a framework, tried in order (cupy ships under several names).
DISTRIBUTIONS = {
    "numpy": ("numpy",), "torch": ("torch",), "jax": ("jax",),
    "cupy": ("cupy-cuda13x", "cupy-cuda12x", "cupy-cuda11x", "cupy"),
    "array_api_strict": ("array-api-strict",), "ml_dtypes": ("ml_dtypes", "ml-dtypes"),
    "array_api_compat": ("array-api-compat",), "rich": ("rich",), "matplotlib": ("matplotlib",),
    "tensorflow": ("tensorflow-cpu", "tensorflow"), "mlx": ("mlx",), "paddle": ("paddlepaddle",),
    "pandas": ("pandas",), "xarray": ("xarray",), "pil": ("pillow",),
}
EXTRAS = ("ml_dtypes", "array_api_compat", "rich", "matplotlib")


#: How to get the C fast path when it was not built.
REBUILD_HINT = "install a C compiler and reinstall interop-arrays"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("info", help="show Python, interop, the C fast path, frameworks and GPUs",
                       description="Show the Python and interop versions, whether the C fast "
                       "path is active, every framework interop knows (installed or not, "
                       "with its version) and the GPUs visible to the installed frameworks.")
    p.set_defaults(func=run)


def version_of(name: str) -> str | None:
    """The installed version of framework ``name``, read from metadata (no import)."""
    for dist in DISTRIBUTIONS.get(name, (name, name.replace("_", "-"))):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    if importlib.util.find_spec(name) is not None:
        return "installed (version unknown)"
    return None


def frameworks() -> list[tuple[str, str | None, str]]:
    """``(name, version or None, role)`` for every registry entry, then the optional extras."""
    found = []
    for name, entry in interop.registry().items():
        role = "framework" if entry.builtin else f"plugin ({entry.path})"
        found.append((name, _probe(name), role))
    found.extend((name, _probe(name), "extra") for name in EXTRAS)
    return found


def _probe(name: str) -> str | None:
    try:
        return version_of(name)
    except (ValueError, ImportError):  # a blocked or broken module
        return None


def gpus() -> list[tuple[str, str, str]]:
    """``(framework, device, memory)`` for each GPU seen by torch or cupy, when installed."""
    found: list[tuple[str, str, str]] = []
    if _probe("torch") is not None:
        found.extend(_torch_gpus())
    if _probe("cupy") is not None:
        found.extend(_cupy_gpus())
    return found


def _torch_gpus() -> list[tuple[str, str, str]]:
    try:
        import torch

        if not torch.cuda.is_available():
            return []
        return [("torch", f"cuda:{i} {torch.cuda.get_device_name(i)}",
                 _gib(torch.cuda.get_device_properties(i).total_memory))
                for i in range(torch.cuda.device_count())]
    except Exception:  # noqa: BLE001 - a broken driver must not break `info`
        return []


def _cupy_gpus() -> list[tuple[str, str, str]]:
    try:
        import cupy

        found = []
        for i in range(cupy.cuda.runtime.getDeviceCount()):
            props = cupy.cuda.runtime.getDeviceProperties(i)
            name = props["name"]
            label = name.decode() if isinstance(name, bytes) else str(name)
            found.append(("cupy", f"cuda:{i} {label}", _gib(props["totalGlobalMem"])))
        return found
    except Exception:  # noqa: BLE001 - no driver or no device
        return []


def _gib(nbytes: int) -> str:
    return f"{nbytes / 2**30:.1f} GiB"


def fast_path_line() -> str:
    """One line: is the C fast path active, and if not, why and how to get it.

    A compiler-less install silently runs the slower pure-Python path; this says so.
    """
    from interop import _convert

    if getattr(_convert, "ACCELERATED", False):
        return "C fast path: on"
    reason = getattr(_convert, "SPEEDUPS_REASON", None)
    if isinstance(reason, str) and reason:
        return f"C fast path: off ({reason})"
    return f"C fast path: off ({_guess_reason()})"


def _guess_reason() -> str:
    """Why the extension is not in use, for an interop that does not say it itself."""
    if os.environ.get("INTEROP_NO_SPEEDUPS"):
        return f"INTEROP_NO_SPEEDUPS={os.environ['INTEROP_NO_SPEEDUPS']}"
    if importlib.util.find_spec("interop._speedups") is None:
        return f"pure Python: the extension was not built; {REBUILD_HINT}"
    try:
        importlib.import_module("interop._speedups")
    except ImportError as exc:
        return f"pure Python: interop._speedups does not import ({exc}); {REBUILD_HINT}"
    return "pure Python"


def run(args: argparse.Namespace) -> int:
    del args
    print(f"Python {platform.python_version()} ({sys.executable})")
    print(f"interop {interop.__version__}")
    print(fast_path_line())
    print(f"platform {platform.platform()}")
    rows = [[name, version or "not installed", role] for name, version, role in frameworks()]
    print_table("Frameworks", ["name", "version", "role"], rows)
    devices = gpus()
    if devices:
        print_table("GPUs", ["seen by", "device", "memory"], [list(d) for d in devices])
    else:
        print("GPUs: none visible (CPU only)")
    return 0
